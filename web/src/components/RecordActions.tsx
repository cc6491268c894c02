// The actions on a page of raw records (CloudTrail events or flow log
// records): copy the SQL that selects them, or its Athena form, open it in
// the SQL page, download the page as CSV.
import { saveBlob } from '../api';
import { toCsv } from '../csv';

export function RecordActions({ sql, athenaSql, cols, records, file }: { sql: string; athenaSql: string; cols: string[]; records: Record<string, unknown>[]; file: string }) {
  const copy = (s: string) => navigator.clipboard?.writeText(s);
  return (
    <>
      <button type="button" onClick={() => copy(sql)}>
        Copy SQL
      </button>
      <button type="button" onClick={() => copy(athenaSql)}>
        Copy as Athena SQL
      </button>
      <a class="button" href={'/sql?q=' + encodeURIComponent(sql)}>
        Open in SQL
      </a>
      <button type="button" onClick={() => saveBlob(new Blob([toCsv(cols, records.map((r) => cols.map((c) => r[c])))], { type: 'text/csv' }), file)}>
        Download CSV
      </button>
    </>
  );
}
