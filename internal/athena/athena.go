// Package athena writes Amazon Athena table definitions for VPC flow logs
// in S3, for the exact custom format a flow log was created with, and turns
// gumshoe's SQL over flow_logs into Athena SQL over such a table.
//
// The tables follow AWS's Athena documentation for flow logs: column names
// are the field names with "-" turned into "_" (Athena refuses hyphens in
// column names), the types are the ones AWS documents for each field, text
// logs skip their header line, and the partitions follow the S3 layout the
// flow log delivers to (plain or Hive-compatible, daily or hourly). With
// partition projection, Athena computes the partitions from the S3 layout
// and no ALTER TABLE or MSCK REPAIR is needed as new days arrive.
package athena

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// Options describe the table to create.
type Options struct {
	// Table is the table name; empty means vpc_flow_logs.
	Table string
	// Format is the flow log's format; no fields means AWS's default
	// format. For text logs, the column order must be the format's.
	Format flowlog.Format
	// Location is the S3 folder the flow log delivers to: the bucket and
	// optional prefix before AWSLogs/ (s3://bucket/prefix/).
	Location string
	// Parquet is for flow logs delivered as Parquet instead of text.
	Parquet bool
	// Hive is for Hive-compatible S3 prefixes (aws-account-id=.../...).
	Hive bool
	// Hourly is for flow logs delivered with per-hour partitions.
	Hourly bool
	// Projection enables partition projection.
	Projection bool
	// AccountIDs and Regions whose logs the table reads. Without
	// projection, a plain-layout table reads one account and one region
	// (its LOCATION names them); with projection, they are the projected
	// values, and when none are given every query must name one
	// (projection type "injected").
	AccountIDs []string
	Regions    []string
	// Since is the first day of data for projection; zero means January 1
	// of the year before Now.
	Since time.Time
	// Now bounds the projected years of Hive layouts (which have no date
	// type that spans year=/month=/day=); zero means the current time.
	Now time.Time
}

// Column is one column of a flow log table.
type Column struct {
	Name string // as Athena names it, e.g. log_status, start, end
	Type string // Athena type: int, bigint or string
}

// documentedTypes are the types AWS's Athena documentation gives the
// fields it lists (versions 2 to 5). protocol is bigint there although
// AWS's Parquet files hold it as INT_32; Athena reads that as bigint.
var documentedTypes = map[flowlog.Field]string{
	flowlog.Version:  "int",
	flowlog.SrcPort:  "int",
	flowlog.DstPort:  "int",
	flowlog.Protocol: "bigint",
	flowlog.Packets:  "bigint",
	flowlog.Bytes:    "bigint",
	flowlog.Start:    "bigint",
	flowlog.End:      "bigint",
	flowlog.TCPFlags: "int",
	// traffic-path is int; every other field AWS lists is string.
	flowlog.TrafficPath: "int",
}

// ColumnOf returns the Athena column for a field. Fields AWS's Athena
// documentation does not list (the v6 transit gateway, v7 ECS and v8
// fields) take the type of their AWS Parquet column.
func ColumnOf(f flowlog.Field) Column {
	info := f.Info()
	name := strings.ReplaceAll(info.Name, "-", "_")
	if t, ok := documentedTypes[f]; ok {
		return Column{name, t}
	}
	switch info.Kind {
	case flowlog.Int32:
		return Column{name, "int"}
	case flowlog.Int64, flowlog.Timestamp:
		return Column{name, "bigint"}
	}
	return Column{name, "string"}
}

// reserved are the column and partition names that Athena DDL needs in
// backticks (and DML in double quotes).
var reserved = map[string]bool{"end": true, "date": true}

func ddlName(name string) string {
	if reserved[name] || strings.Contains(name, "-") {
		return "`" + name + "`"
	}
	return name
}

var (
	tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,254}$`)
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
	region    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	s3URI     = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()/=+-]*)?$`)
)

// normalize checks the options and fills in defaults. Everything that ends
// up inside a quoted string of the DDL is checked against a strict
// pattern here, so that no option can close the quotes.
func (o Options) normalize() (Options, error) {
	if o.Table == "" {
		o.Table = "vpc_flow_logs"
	}
	if !tableName.MatchString(o.Table) {
		return o, fmt.Errorf("athena table %q: use lower-case letters, digits and _", o.Table)
	}
	if len(o.Format.Fields) == 0 {
		o.Format = flowlog.DefaultFormat
	}
	if len(o.Format.Unknown) > 0 {
		return o, fmt.Errorf("athena: format has fields gumshoe does not know: %s", strings.Join(o.Format.Unknown, ", "))
	}
	loc := strings.TrimSuffix(o.Location, "/")
	loc = strings.TrimSuffix(loc, "/AWSLogs")
	if !s3URI.MatchString(loc) {
		return o, fmt.Errorf("athena location %q: want s3://bucket/prefix/ (the folder that holds AWSLogs/)", o.Location)
	}
	o.Location = loc + "/"
	for _, a := range o.AccountIDs {
		if !accountID.MatchString(a) {
			return o, fmt.Errorf("athena: account ID %q is not 12 digits", a)
		}
	}
	for _, r := range o.Regions {
		if !region.MatchString(r) {
			return o, fmt.Errorf("athena: %q is not an AWS Region name", r)
		}
	}
	if !o.Projection && !o.Hive && (len(o.AccountIDs) > 1 || len(o.Regions) > 1) {
		return o, fmt.Errorf("athena: without --projection or --hive a table reads one account and one Region (its LOCATION names them)")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	if o.Since.IsZero() {
		o.Since = time.Date(o.Now.Year()-1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return o, nil
}

// CreateTable returns the CREATE EXTERNAL TABLE statement for the options.
func CreateTable(opts Options) (string, error) {
	o, err := opts.normalize()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS `%s` (\n", o.Table)
	for i, f := range o.Format.Fields {
		c := ColumnOf(f)
		sep := ","
		if i == len(o.Format.Fields)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s %s%s\n", ddlName(c.Name), c.Type, sep)
	}
	b.WriteString(")\n")
	parts := o.partitions()
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = ddlName(p.Name) + " " + p.Type
	}
	fmt.Fprintf(&b, "PARTITIONED BY (%s)\n", strings.Join(names, ", "))
	if o.Parquet {
		b.WriteString("STORED AS PARQUET\n")
	} else {
		b.WriteString("ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\n")
	}
	fmt.Fprintf(&b, "LOCATION '%s'", o.tableLocation())
	if props := o.properties(); len(props) > 0 {
		b.WriteString("\nTBLPROPERTIES (\n")
		for i, p := range props {
			sep := ","
			if i == len(props)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  \"%s\" = \"%s\"%s\n", p[0], p[1], sep)
		}
		b.WriteString(")")
	}
	b.WriteString(";\n")
	return b.String(), nil
}

// partitions are the table's partition keys, named after the S3 key
// layout: AWS's own names for the plain (date) and Hive-compatible
// (aws-account-id=...) layouts, which MSCK REPAIR TABLE and ALTER TABLE
// expect; with projection, names that no flow log field has (region is a
// field since version 4), since the storage template maps them to the key.
func (o Options) partitions() []Column {
	var out []Column
	switch {
	case o.Projection:
		out = []Column{{"aws_account_id", "string"}, {"aws_region", "string"}}
		if o.Hive {
			out = append(out, Column{"year", "string"}, Column{"month", "string"}, Column{"day", "string"})
		} else {
			out = append(out, Column{"day", "string"})
		}
	case o.Hive:
		out = []Column{{"aws-account-id", "string"}, {"aws-service", "string"}, {"aws-region", "string"},
			{"year", "string"}, {"month", "string"}, {"day", "string"}}
	default:
		out = []Column{{"date", "date"}}
	}
	if o.Hourly {
		out = append(out, Column{"hour", "string"})
	}
	return out
}

func (o Options) account() string {
	if len(o.AccountIDs) == 1 {
		return o.AccountIDs[0]
	}
	return "{account_id}"
}

func (o Options) region() string {
	if len(o.Regions) == 1 {
		return o.Regions[0]
	}
	return "{region}"
}

func (o Options) tableLocation() string {
	if o.Hive || o.Projection {
		return o.Location + "AWSLogs/"
	}
	return o.Location + "AWSLogs/" + o.account() + "/vpcflowlogs/" + o.region() + "/"
}

func (o Options) properties() [][2]string {
	var p [][2]string
	if !o.Parquet {
		p = append(p, [2]string{"skip.header.line.count", "1"})
	}
	if !o.Projection {
		return p
	}
	p = append(p, [2]string{"projection.enabled", "true"})
	enumOrInjected := func(name string, values []string) {
		if len(values) == 0 {
			p = append(p, [2]string{"projection." + name + ".type", "injected"})
			return
		}
		p = append(p, [2]string{"projection." + name + ".type", "enum"},
			[2]string{"projection." + name + ".values", strings.Join(values, ",")})
	}
	enumOrInjected("aws_account_id", o.AccountIDs)
	enumOrInjected("aws_region", o.Regions)
	var template string
	if o.Hive {
		integer := func(name string, lo, hi, digits int) {
			p = append(p, [2]string{"projection." + name + ".type", "integer"},
				[2]string{"projection." + name + ".range", fmt.Sprintf("%d,%d", lo, hi)})
			if digits > 0 {
				p = append(p, [2]string{"projection." + name + ".digits", fmt.Sprint(digits)})
			}
		}
		integer("year", o.Since.Year(), o.Now.Year()+1, 0)
		integer("month", 1, 12, 2)
		integer("day", 1, 31, 2)
		template = o.Location + "AWSLogs/aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}"
		if o.Hourly {
			integer("hour", 0, 23, 2)
			template += "/hour=${hour}"
		}
	} else {
		p = append(p, [2]string{"projection.day.type", "date"},
			[2]string{"projection.day.format", "yyyy/MM/dd"},
			[2]string{"projection.day.range", o.Since.Format("2006/01/02") + ",NOW"},
			[2]string{"projection.day.interval", "1"},
			[2]string{"projection.day.interval.unit", "DAYS"})
		template = o.Location + "AWSLogs/${aws_account_id}/vpcflowlogs/${aws_region}/${day}"
		if o.Hourly {
			p = append(p, [2]string{"projection.hour.type", "integer"},
				[2]string{"projection.hour.range", "0,23"},
				[2]string{"projection.hour.digits", "2"})
			template += "/${hour}"
		}
	}
	return append(p, [2]string{"storage.location.template", template + "/"})
}

// NextSteps says what to run after CREATE TABLE before the table returns
// rows, for a person to read: partitions to load, or limits of the
// projection.
func NextSteps(opts Options) (string, error) {
	o, err := opts.normalize()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	switch {
	case o.Projection:
		if len(o.AccountIDs) == 0 {
			b.WriteString("No --account-id given: every query must name one, as in WHERE aws_account_id = '123456789012'.\n")
		}
		if len(o.Regions) == 0 {
			b.WriteString("No --region given: every query must name one, as in WHERE aws_region = 'us-east-1'.\n")
		}
		if o.Hive {
			fmt.Fprintf(&b, "Projected years run from %d to %d; widen projection.year.range later (ALTER TABLE %s SET TBLPROPERTIES).\n", o.Since.Year(), o.Now.Year()+1, o.Table)
		}
	case o.Hive:
		fmt.Fprintf(&b, "Load the partitions, and again as new ones arrive:\nMSCK REPAIR TABLE `%s`;\n", o.Table)
	default:
		hour, hourPath := "", ""
		if o.Hourly {
			hour, hourPath = ", `hour`='HH'", "HH/"
		}
		fmt.Fprintf(&b, "Add each day's partition:\nALTER TABLE `%s` ADD PARTITION (`date`='YYYY-MM-DD'%s) LOCATION '%sYYYY/MM/DD/%s';\n", o.Table, hour, o.tableLocation(), hourPath)
		if len(o.AccountIDs) == 0 || len(o.Regions) == 0 {
			b.WriteString("Replace {account_id} and {region} in LOCATION, or give --account-id and --region.\n")
		}
	}
	return b.String(), nil
}
