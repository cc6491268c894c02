package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The behavior graph. Entities and relationships from CloudTrail, findings
// and DNS are few enough per hour to keep in tables, appended to by each
// commit (graph_entities, graph_edges: one row per segment and key, summed
// by the views; upserting into indexed tables cost more than the rest of a
// CloudTrail commit). Those from flows are as numerous as the
// hourly rollup and are read from it instead of being copied: the views
// entities and relationships join both, so the graph is current the moment
// a segment commits and flow ingest pays nothing for it.
//
// Entity IDs are "<type>:<natural key>", e.g. "ip:198.51.100.7",
// "instance:i-0123456789abcdef0", "role_session:AROA…:session-name".

// graphMigration creates the graph tables (migration 3).
const graphMigration = `
CREATE TABLE graph_entities (
	entity_id    VARCHAR NOT NULL,
	type         VARCHAR NOT NULL,
	natural_key  VARCHAR NOT NULL,
	display_name VARCHAR,
	account_id   VARCHAR,
	first_seen   TIMESTAMP,
	last_seen    TIMESTAMP
);
CREATE TABLE graph_edges (
	from_id  VARCHAR NOT NULL,
	to_id    VARCHAR NOT NULL,
	type     VARCHAR NOT NULL,
	detail   VARCHAR NOT NULL,
	hour     TIMESTAMP NOT NULL,
	count    BIGINT NOT NULL,
	failures BIGINT NOT NULL
);
CREATE MACRO is_ip_address(a) AS
	a IS NOT NULL AND (regexp_full_match(a, '[0-9]{1,3}(\.[0-9]{1,3}){3}') OR (a LIKE '%:%' AND regexp_full_match(a, '[0-9A-Fa-f:.]+')));
`

// graphViewsSQL defines entities and relationships over the tables and the
// flow rollup. Temporary, like the lake views they read.
var graphViewsSQL = []string{
	`CREATE OR REPLACE TEMP VIEW relationships AS
SELECT from_id, to_id, type, detail, hour, sum(count)::BIGINT AS count, sum(failures)::BIGINT AS failures,
	NULL::BIGINT AS bytes_in, NULL::BIGINT AS bytes_out
FROM graph_edges GROUP BY from_id, to_id, type, detail, hour
UNION ALL
SELECT 'interface:' || interface_id, 'ip:' || remote_addr, 'connected', protocol || '/' || coalesce(local_port::VARCHAR, '-') || '/' || direction,
	hour, sum(flows)::BIGINT, sum(flows) FILTER (WHERE action = 'REJECT')::BIGINT, sum(bytes_in)::BIGINT, sum(bytes_out)::BIGINT
FROM flow_rollup_hourly WHERE interface_id IS NOT NULL AND remote_addr IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT 'instance:' || instance_id, 'interface:' || interface_id, 'has_interface', '', hour, sum(flows)::BIGINT, 0, NULL, NULL
FROM flow_rollup_hourly WHERE instance_id IS NOT NULL AND interface_id IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT 'interface:' || interface_id, 'ip:' || local_addr, 'assigned_address', '', hour, sum(flows)::BIGINT, 0, NULL, NULL
FROM flow_rollup_hourly WHERE interface_id IS NOT NULL AND local_addr IS NOT NULL
GROUP BY ALL`,
	`CREATE OR REPLACE TEMP VIEW entities AS
SELECT e.*,
	CASE WHEN e.type = 'ip' THEN json_object(
		'private', is_private_address(e.natural_key),
		'country', i.country, 'city', i.city, 'latitude', i.latitude, 'longitude', i.longitude,
		'asn', i.asn, 'as_org', i.as_org, 'aws_service', i.aws_service, 'aws_region', i.aws_region)
	END AS attributes
FROM (
	SELECT entity_id, any_value(type) AS type, any_value(natural_key) AS natural_key,
		coalesce(any_value(display_name) FILTER (WHERE display_name IS NOT NULL), any_value(natural_key)) AS display_name,
		any_value(account_id) FILTER (WHERE account_id IS NOT NULL) AS account_id,
		min(first_seen) AS first_seen, max(last_seen) AS last_seen
	FROM (
		SELECT entity_id, type, natural_key, display_name, account_id, first_seen, last_seen FROM graph_entities
		UNION ALL
		SELECT 'interface:' || interface_id, 'interface', interface_id, NULL, account_id, min(first_seen), max(last_seen)
		FROM flow_rollup_hourly WHERE interface_id IS NOT NULL GROUP BY ALL
		UNION ALL
		SELECT 'instance:' || instance_id, 'instance', instance_id, NULL, account_id, min(first_seen), max(last_seen)
		FROM flow_rollup_hourly WHERE instance_id IS NOT NULL GROUP BY ALL
		UNION ALL
		SELECT 'ip:' || addr, 'ip', addr, NULL, NULL, min(first_seen), max(last_seen)
		FROM (SELECT local_addr AS addr, first_seen, last_seen FROM flow_rollup_hourly
			UNION ALL SELECT remote_addr, first_seen, last_seen FROM flow_rollup_hourly)
		WHERE addr IS NOT NULL GROUP BY ALL
	)
	GROUP BY entity_id
) e
LEFT JOIN ip_info i ON e.type = 'ip' AND i.ip = e.natural_key`,
}

// niEdgesSQL adds the edges of seg_ni (instance, hour, eni, private_ip,
// public_ip): has_interface and assigned_address, as flows make them.
const niEdgesSQL = `INSERT INTO graph_edges
SELECT from_id, to_id, type, detail, hour, count(*), 0
FROM (
	SELECT 'instance:' || instance_id AS from_id, 'interface:' || eni AS to_id, 'has_interface' AS type, '' AS detail, hour
	FROM seg_ni WHERE eni IS NOT NULL
	UNION ALL SELECT 'interface:' || eni, 'ip:' || private_ip, 'assigned_address', 'private', hour
	FROM seg_ni WHERE eni IS NOT NULL AND private_ip IS NOT NULL
	UNION ALL SELECT 'interface:' || eni, 'ip:' || public_ip, 'assigned_address', 'public', hour
	FROM seg_ni WHERE eni IS NOT NULL AND public_ip IS NOT NULL
)
WHERE hour IS NOT NULL
GROUP BY ALL`

// niEntitiesSQL adds the interfaces and addresses of seg_ni as entities.
const niEntitiesSQL = `INSERT INTO graph_entities
SELECT entity_id, any_value(type), any_value(natural_key), any_value(natural_key), NULL, min(hour), max(hour)
FROM (
	SELECT 'interface:' || eni AS entity_id, 'interface' AS type, eni AS natural_key, hour FROM seg_ni WHERE eni IS NOT NULL
	UNION ALL SELECT 'ip:' || private_ip, 'ip', private_ip, hour FROM seg_ni WHERE private_ip IS NOT NULL
	UNION ALL SELECT 'ip:' || public_ip, 'ip', public_ip, hour FROM seg_ni WHERE public_ip IS NOT NULL
)
WHERE hour IS NOT NULL
GROUP BY entity_id`

// graphFromSegment adds what the segment's CloudTrail events, findings and
// DNS queries say to the graph tables, inside the commit's transaction.
func graphFromSegment(ctx context.Context, tx *sql.Tx, minObject, maxObject int64, ctFiles, dnsFiles []string) error {
	ctSource := "(SELECT * FROM cloudtrail_events WHERE false)"
	if len(ctFiles) > 0 {
		ctSource = stagedSource(cloudtrailTable, ctFiles...)
	}
	stmts := []string{
		// Only the columns the graph needs, and the few JSON members it
		// reads extracted once, from the events that have them: copying
		// or re-parsing the raw events cost more than the rest of the
		// commit.
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE seg_ct AS
SELECT event_time, event_source, event_name, source_ip, user_agent, user_type, user_arn, principal_id,
	account_id, recipient_account_id, access_key_id, user_name, session_issuer_arn, error_code,
	CASE WHEN event_source = 's3.amazonaws.com' THEN json_extract_string(raw, '$.requestParameters.bucketName') END AS bucket,
	CASE WHEN event_name LIKE 'AssumeRole%%' THEN json_extract_string(raw, '$.responseElements.assumedRoleUser.assumedRoleId') END AS assumed_id,
	CASE WHEN event_name LIKE 'AssumeRole%%' THEN json_extract_string(raw, '$.requestParameters.roleArn') END AS role_arn,
	CASE WHEN event_name = 'RunInstances' AND error_code IS NULL THEN json_extract(raw, '$.responseElements.instancesSet.items[*]') END AS run_items,
	CASE user_type
		WHEN 'AssumedRole' THEN 'role_session:' || principal_id
		WHEN 'IAMUser' THEN 'iam_user:' || coalesce(user_arn, principal_id)
		WHEN 'Root' THEN 'root:' || coalesce(account_id, recipient_account_id)
		WHEN 'FederatedUser' THEN 'federated_user:' || coalesce(user_arn, principal_id)
		WHEN 'SAMLUser' THEN 'federated_user:' || coalesce(principal_id, user_name)
		WHEN 'WebIdentityUser' THEN 'federated_user:' || coalesce(principal_id, user_name)
		WHEN 'AWSAccount' THEN 'account:' || coalesce(account_id, principal_id)
	END AS principal,
	CASE user_type
		WHEN 'AssumedRole' THEN 'role_session'
		WHEN 'IAMUser' THEN 'iam_user'
		WHEN 'Root' THEN 'root'
		WHEN 'FederatedUser' THEN 'federated_user'
		WHEN 'SAMLUser' THEN 'federated_user'
		WHEN 'WebIdentityUser' THEN 'federated_user'
		WHEN 'AWSAccount' THEN 'account'
	END AS principal_type,
	CASE WHEN user_type = 'AssumedRole' THEN split_part(principal_id, ':', 2) END AS session_name,
	user_type = 'AssumedRole' AND regexp_full_match(split_part(principal_id, ':', 2), 'i-[0-9a-fA-F]{8,17}') AS instance_session,
	date_trunc('hour', event_time) AS hour,
	is_ip_address(source_ip) AS ip_ok,
	CASE WHEN error_code IS NULL THEN 0 ELSE 1 END AS failed
FROM %s`, ctSource),
		// Entities seen in the events.
		`INSERT INTO graph_entities
SELECT entity_id, any_value(type), any_value(natural_key), any_value(display_name), any_value(account_id), min(t), max(t)
FROM (
	SELECT principal AS entity_id, principal_type AS type, substr(principal, length(principal_type) + 2) AS natural_key,
		CASE WHEN principal_type = 'role_session' THEN session_name ELSE coalesce(user_name, user_arn) END AS display_name,
		coalesce(account_id, recipient_account_id) AS account_id, event_time AS t
	FROM seg_ct WHERE principal IS NOT NULL
	UNION ALL SELECT 'iam_role:' || session_issuer_arn, 'iam_role', session_issuer_arn, user_name, account_id, event_time
	FROM seg_ct WHERE user_type = 'AssumedRole' AND session_issuer_arn IS NOT NULL
	UNION ALL SELECT 'account:' || a, 'account', a, a, a, event_time
	FROM (SELECT coalesce(recipient_account_id, account_id) AS a, event_time FROM seg_ct) WHERE a IS NOT NULL
	UNION ALL SELECT 'ip:' || source_ip, 'ip', source_ip, source_ip, NULL, event_time FROM seg_ct WHERE ip_ok
	UNION ALL SELECT 'user_agent:' || user_agent, 'user_agent', user_agent, user_agent, NULL, event_time FROM seg_ct WHERE user_agent IS NOT NULL
	UNION ALL SELECT 'access_key:' || access_key_id, 'access_key', access_key_id, access_key_id, coalesce(account_id, recipient_account_id), event_time
	FROM seg_ct WHERE access_key_id IS NOT NULL
	UNION ALL SELECT 'bucket:' || b, 's3_bucket', b, b, NULL, event_time
	FROM (SELECT bucket AS b, event_time FROM seg_ct) WHERE b IS NOT NULL
	UNION ALL SELECT 'instance:' || session_name, 'instance', session_name, session_name, account_id, event_time
	FROM seg_ct WHERE instance_session
	UNION ALL SELECT 'role_session:' || s, 'role_session', s, split_part(s, ':', 2), recipient_account_id, event_time
	FROM (SELECT assumed_id AS s, recipient_account_id, event_time FROM seg_ct) WHERE s IS NOT NULL
	UNION ALL SELECT 'iam_role:' || r, 'iam_role', r, regexp_extract(r, '[^/]+$'), recipient_account_id, event_time
	FROM (SELECT role_arn AS r, recipient_account_id, event_time FROM seg_ct) WHERE r IS NOT NULL
)
GROUP BY entity_id`,
		// Relationships seen in the events.
		`INSERT INTO graph_edges
SELECT from_id, to_id, type, detail, hour, count(*), sum(failed)
FROM (
	SELECT principal AS from_id, 'ip:' || source_ip AS to_id, 'api_call_from' AS type, event_source || ':' || event_name AS detail, hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND ip_ok
	UNION ALL SELECT principal, 'user_agent:' || user_agent, 'used_user_agent', '', hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND user_agent IS NOT NULL
	UNION ALL SELECT 'ip:' || source_ip, 'user_agent:' || user_agent, 'used_user_agent', '', hour, failed
	FROM seg_ct WHERE ip_ok AND user_agent IS NOT NULL
	UNION ALL SELECT 'access_key:' || access_key_id, principal, 'key_of', '', hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND access_key_id IS NOT NULL
	UNION ALL SELECT principal, 'iam_role:' || session_issuer_arn, 'session_of', '', hour, failed
	FROM seg_ct WHERE user_type = 'AssumedRole' AND session_issuer_arn IS NOT NULL
	UNION ALL SELECT 'instance:' || session_name, principal, 'instance_session', '', hour, failed
	FROM seg_ct WHERE instance_session
	UNION ALL SELECT principal, 'role_session:' || assumed_id, 'assumed_role', event_name, hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND assumed_id IS NOT NULL
	UNION ALL SELECT principal, 'iam_role:' || role_arn, 'assumes', event_name, hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND role_arn IS NOT NULL
	UNION ALL SELECT principal, 'bucket:' || bucket, 'accessed_bucket', event_name, hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND bucket IS NOT NULL
	UNION ALL SELECT principal, 'account:' || coalesce(recipient_account_id, account_id), 'in_account', '', hour, failed
	FROM seg_ct WHERE principal IS NOT NULL AND coalesce(recipient_account_id, account_id) IS NOT NULL
)
GROUP BY ALL`,
		// Instances launched (RunInstances responses): instance →
		// interface → addresses.
		`CREATE OR REPLACE TEMP TABLE seg_ni AS
SELECT item->>'instanceId' AS instance_id, hour,
	ni->>'networkInterfaceId' AS eni, ni->>'privateIpAddress' AS private_ip,
	json_extract_string(ni, '$.association.publicIp') AS public_ip
FROM (
	SELECT item, hour, unnest(coalesce(json_extract(item, '$.networkInterfaceSet.items[*]'), [NULL::JSON])) AS ni
	FROM (
		SELECT hour, unnest(run_items) AS item
		FROM seg_ct WHERE run_items IS NOT NULL
	)
)
WHERE item->>'instanceId' IS NOT NULL`,
		`INSERT INTO graph_entities
SELECT 'instance:' || instance_id, 'instance', instance_id, instance_id, NULL, min(hour), max(hour)
FROM seg_ni GROUP BY instance_id`,
		niEntitiesSQL,
		niEdgesSQL,
		`DROP TABLE seg_ni`,
		`DROP TABLE seg_ct`,
		// Findings: the finding and what it involves.
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE seg_f AS SELECT * FROM findings WHERE object_id BETWEEN %d AND %d`, minObject, maxObject),
		// The principal whose credentials a finding is about, named as
		// CloudTrail's events name it (see seg_ct): a role session by its
		// principal ID, an IAM user by its ARN, the root user by account.
		`CREATE OR REPLACE TEMP TABLE seg_fp AS
SELECT * FROM (
	SELECT id, account_id, first_seen, last_seen, created_at, updated_at, user_name,
		CASE user_type
			WHEN 'AssumedRole' THEN 'role_session:' || principal_id
			WHEN 'IAMUser' THEN 'iam_user:arn:aws:iam::' || account_id || ':user/' || user_name
			WHEN 'Root' THEN 'root:' || account_id
		END AS principal_entity
	FROM (
		SELECT *, coalesce(raw->>'$.resource.accessKeyDetails.userType', raw->>'$.Resource.AccessKeyDetails.UserType') AS user_type,
			coalesce(raw->>'$.resource.accessKeyDetails.principalId', raw->>'$.Resource.AccessKeyDetails.PrincipalId') AS principal_id,
			coalesce(raw->>'$.resource.accessKeyDetails.userName', raw->>'$.Resource.AccessKeyDetails.UserName') AS user_name
		FROM seg_f WHERE access_key_id IS NOT NULL OR principal IS NOT NULL
	)
) WHERE principal_entity IS NOT NULL`,
		`INSERT INTO graph_entities
SELECT entity_id, any_value(type), any_value(natural_key), any_value(display_name), any_value(account_id), min(t1), max(t2)
FROM (
	SELECT 'finding:' || id AS entity_id, 'finding' AS type, id AS natural_key, coalesce(title, type) AS display_name, account_id,
		coalesce(first_seen, created_at) AS t1, coalesce(last_seen, updated_at) AS t2 FROM seg_f
	UNION ALL SELECT 'instance:' || instance_id, 'instance', instance_id, instance_id, account_id, coalesce(first_seen, created_at), coalesce(last_seen, updated_at)
	FROM seg_f WHERE instance_id IS NOT NULL
	UNION ALL SELECT 'access_key:' || access_key_id, 'access_key', access_key_id, access_key_id, account_id, coalesce(first_seen, created_at), coalesce(last_seen, updated_at)
	FROM seg_f WHERE access_key_id IS NOT NULL
	UNION ALL SELECT 'ip:' || remote_ip, 'ip', remote_ip, remote_ip, NULL, coalesce(first_seen, created_at), coalesce(last_seen, updated_at)
	FROM seg_f WHERE is_ip_address(remote_ip)
	UNION ALL SELECT 'domain:' || domain, 'domain', domain, domain, NULL, coalesce(first_seen, created_at), coalesce(last_seen, updated_at)
	FROM seg_f WHERE domain IS NOT NULL
)
GROUP BY entity_id`,
		`INSERT INTO graph_edges
SELECT from_id, to_id, 'involves', detail, hour, 1, 0
FROM (
	SELECT 'finding:' || id AS from_id, 'instance:' || instance_id AS to_id, 'instance' AS detail, date_trunc('hour', coalesce(last_seen, updated_at, created_at)) AS hour FROM seg_f WHERE instance_id IS NOT NULL
	UNION ALL SELECT 'finding:' || id, 'access_key:' || access_key_id, 'access_key', date_trunc('hour', coalesce(last_seen, updated_at, created_at)) FROM seg_f WHERE access_key_id IS NOT NULL
	UNION ALL SELECT 'finding:' || id, 'ip:' || remote_ip, 'remote_ip', date_trunc('hour', coalesce(last_seen, updated_at, created_at)) FROM seg_f WHERE is_ip_address(remote_ip)
	UNION ALL SELECT 'finding:' || id, 'domain:' || domain, 'domain', date_trunc('hour', coalesce(last_seen, updated_at, created_at)) FROM seg_f WHERE domain IS NOT NULL
	UNION ALL SELECT 'finding:' || id, 'account:' || account_id, 'account', date_trunc('hour', coalesce(last_seen, updated_at, created_at)) FROM seg_f WHERE account_id IS NOT NULL
	UNION ALL SELECT 'finding:' || id, principal_entity, 'principal', date_trunc('hour', coalesce(last_seen, updated_at, created_at)) FROM seg_fp
)
WHERE hour IS NOT NULL
GROUP BY ALL`,
		`INSERT INTO graph_entities
SELECT principal_entity, any_value(split_part(principal_entity, ':', 1)), any_value(substr(principal_entity, strpos(principal_entity, ':') + 1)),
	any_value(user_name), any_value(account_id), min(coalesce(first_seen, created_at)), max(coalesce(last_seen, updated_at))
FROM seg_fp GROUP BY principal_entity`,
		`DROP TABLE seg_fp`,
		// Instance network details in GuardDuty findings (either key
		// casing): instance → interface → private and public addresses.
		`CREATE OR REPLACE TEMP TABLE seg_ni AS
SELECT instance_id, hour,
	coalesce(ni->>'networkInterfaceId', ni->>'NetworkInterfaceId') AS eni,
	coalesce(ni->>'privateIpAddress', ni->>'PrivateIpAddress') AS private_ip,
	coalesce(ni->>'publicIp', ni->>'PublicIp') AS public_ip
FROM (
	SELECT instance_id, date_trunc('hour', coalesce(last_seen, updated_at, created_at)) AS hour,
		unnest(list_concat(coalesce(json_extract(raw, '$.resource.instanceDetails.networkInterfaces[*]'), []::JSON[]),
			coalesce(json_extract(raw, '$.Resource.InstanceDetails.NetworkInterfaces[*]'), []::JSON[]))) AS ni
	FROM seg_f WHERE instance_id IS NOT NULL
)`,
		niEntitiesSQL,
		niEdgesSQL,
		`DROP TABLE seg_ni`,
		`DROP TABLE seg_f`,
	}
	if len(dnsFiles) > 0 {
		src := "read_parquet(["
		for i, f := range dnsFiles {
			if i > 0 {
				src += ", "
			}
			src += "'" + sqlQuote(f) + "'"
		}
		src += "], hive_partitioning = false)"
		stmts = append(stmts,
			`INSERT INTO graph_entities
SELECT entity_id, any_value(type), any_value(natural_key), any_value(display_name), any_value(account_id), min(t), max(t)
FROM (
	SELECT 'domain:' || rtrim(lower(query_name), '.') AS entity_id, 'domain' AS type, rtrim(lower(query_name), '.') AS natural_key,
		rtrim(lower(query_name), '.') AS display_name, NULL AS account_id, query_time AS t FROM `+src+`
	UNION ALL SELECT 'instance:' || instance_id, 'instance', instance_id, instance_id, account_id, query_time FROM `+src+` WHERE instance_id IS NOT NULL
)
GROUP BY entity_id`,
			`INSERT INTO graph_edges
SELECT coalesce('instance:' || instance_id, 'ip:' || srcaddr), 'domain:' || rtrim(lower(query_name), '.'), 'resolved',
	coalesce(query_type, '') || '/' || coalesce(rcode, ''), date_trunc('hour', query_time), count(*),
	count(*) FILTER (WHERE rcode IS DISTINCT FROM 'NOERROR')
FROM `+src+` WHERE instance_id IS NOT NULL OR srcaddr IS NOT NULL
GROUP BY ALL`)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("commit: update graph: %w", err)
		}
	}
	return nil
}
