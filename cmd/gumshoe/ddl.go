package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/athena"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

func init() { commands = append(commands, newDDLCommand) }

func newDDLCommand(*globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ddl",
		Short: "Print table definitions for other query engines",
	}
	cmd.AddCommand(newDDLAthenaCommand())
	return cmd
}

func newDDLAthenaCommand() *cobra.Command {
	var (
		o      athena.Options
		format string
		since  string
	)
	cmd := &cobra.Command{
		Use:   "athena --location s3://bucket/prefix/ [flags]",
		Short: "Print the Athena CREATE TABLE for flow logs in S3, for their exact format",
		Long: `Print the Amazon Athena CREATE EXTERNAL TABLE statement for VPC flow logs
delivered to S3, with one column per field of the flow log's format, in its
order, named and typed as AWS's Athena documentation does. What to run next
(partitions to load) is printed on stderr.

  gumshoe ddl athena --location s3://my-bucket/prefix/ --format '${version} ${vpc-id} ${srcaddr} ...'
  gumshoe ddl athena --location s3://my-bucket/ --parquet --hive --hourly
  gumshoe ddl athena --location s3://my-bucket/ --projection --account-id 123456789012 --region us-east-1

--location is the bucket and prefix the flow log delivers to (the folder
holding AWSLogs/). See docs/queries.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "" {
				f, err := flowlog.ParseFormat(format)
				if err != nil {
					return fmt.Errorf("--format: %w", err)
				}
				o.Format = f
			}
			if since != "" {
				t, err := time.Parse("2006/01/02", since)
				if err != nil {
					if t, err = time.Parse("2006-01-02", since); err != nil {
						return fmt.Errorf("--since %q: want YYYY/MM/DD", since)
					}
				}
				o.Since = t
			}
			ddl, err := athena.CreateTable(o)
			if err != nil {
				return err
			}
			next, err := athena.NextSteps(o)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), ddl)
			fmt.Fprint(cmd.ErrOrStderr(), next)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Location, "location", "", "S3 bucket and prefix the flow log delivers to (s3://bucket/prefix/)")
	fl.StringVar(&format, "format", "", "the flow log's format, as ${field} ... (default: AWS's default format)")
	fl.StringVar(&o.Table, "table", "vpc_flow_logs", "table name")
	fl.BoolVar(&o.Parquet, "parquet", false, "the flow log delivers Parquet files")
	fl.BoolVar(&o.Hive, "hive", false, "the flow log uses Hive-compatible S3 prefixes")
	fl.BoolVar(&o.Hourly, "hourly", false, "the flow log uses per-hour partitions")
	fl.BoolVar(&o.Projection, "projection", false, "use partition projection (no partitions to load)")
	fl.StringSliceVar(&o.AccountIDs, "account-id", nil, "account ID(s) whose logs the table reads")
	fl.StringSliceVar(&o.Regions, "region", nil, "Region(s) whose logs the table reads")
	fl.StringVar(&since, "since", "", "first day of data for --projection, YYYY/MM/DD (default: January 1 of last year)")
	cmd.MarkFlagRequired("location")
	return cmd
}
