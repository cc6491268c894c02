import { useLocation } from '../router';
import { FlowDetails } from './FlowDetails';
import { entityHref, entityKey, entityType, typeName } from '../format';

export function FlowsPage({ id }: { id: string }) {
  const { params } = useLocation();
  const finding = params.get('finding');
  const sc = { start: params.get('start'), end: params.get('end'), finding };
  return (
    <main class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        {finding ? (
          <>
            <a href={'/findings/' + encodeURIComponent(finding)}>Finding</a> ›{' '}
          </>
        ) : null}
        <a href={entityHref(id, sc)}>
          {typeName(entityType(id))} {entityKey(id)}
        </a>{' '}
        › Flow details
      </nav>
      <h1>
        Flow details <span class="mono h-sub">{entityKey(id)}</span>
      </h1>
      <FlowDetails entity={id} finding={finding} />
    </main>
  );
}
