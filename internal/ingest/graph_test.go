package ingest

import (
	"context"
	"path/filepath"
	"testing"
)

// TestGraphOnRealDetonations ingests Stratus Red Team detonation logs
// (real CloudTrail, see internal/cloudtrail/testdata/NOTICE) and checks that
// the behavior graph ties together what an analyst would follow.
func TestGraphOnRealDetonations(t *testing.T) {
	dir := "../cloudtrail/testdata/stratus-red-team_detonation-logs/"
	var sources []string
	for _, f := range []string{
		"aws.credential-access.ec2-steal-instance-credentials.json",
		"aws.defense-evasion.organizations-leave.json",
		"aws.persistence.sts-federation-token.json",
		"aws.persistence.iam-backdoor-user.json",
	} {
		sources = append(sources, dir+f)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	if _, err := Run(context.Background(), st, Config{Sources: sources}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	const session = "role_session:AROALHCCSKSM395EGX3XN:i-786a3A8B5C0d92eF4"
	for _, c := range []struct {
		what  string
		query string
	}{
		{"the stolen instance credentials are a role-session entity",
			`SELECT count(*) FROM entities WHERE entity_id = '` + session + `' AND type = 'role_session' AND display_name = 'i-786a3A8B5C0d92eF4'`},
		{"the session is linked to the outside address it was used from",
			`SELECT count(*) FROM relationships WHERE from_id = '` + session + `' AND to_id = 'ip:18.236.253.47' AND type = 'api_call_from' AND detail = 'sts.amazonaws.com:GetCallerIdentity'`},
		{"the session is linked to its role",
			`SELECT count(*) FROM relationships WHERE from_id = '` + session + `' AND to_id = 'iam_role:arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role' AND type = 'session_of'`},
		{"the session is linked to the instance whose role it is",
			`SELECT count(*) FROM relationships WHERE from_id = 'instance:i-786a3A8B5C0d92eF4' AND to_id = '` + session + `' AND type = 'instance_session'`},
		{"the temporary access key belongs to the session",
			`SELECT count(*) FROM relationships WHERE to_id = '` + session + `' AND type = 'key_of' AND from_id LIKE 'access_key:ASIA%'`},
		{"an IAM user assumed a role, starting a session of that role",
			`SELECT count(*) FROM relationships a JOIN relationships b ON b.from_id = a.to_id AND b.type = 'session_of'
			 WHERE a.from_id = 'iam_user:arn:aws:iam::307578594326:user/christophe' AND a.type = 'assumed_role'`},
		{"a federated user is an entity with its calls",
			`SELECT count(*) FROM relationships WHERE from_id = 'federated_user:arn:aws:sts::742491224508:federated-user/stratus_red_team' AND type = 'api_call_from'`},
		{"a backdoor access key creation is an API call of the user from an address",
			`SELECT count(*) FROM relationships WHERE from_id = 'iam_user:arn:aws:iam::946986569305:user/christophe' AND type = 'api_call_from' AND detail = 'iam.amazonaws.com:CreateAccessKey'`},
	} {
		if n := count(t, st, c.query); n < 1 {
			t.Errorf("%s: no match for %s", c.what, c.query)
		}
	}
}

// TestGraphInstanceAddresses links instances to their interfaces and
// addresses from GuardDuty instance details (both key casings) and from
// CloudTrail RunInstances responses.
func TestGraphInstanceAddresses(t *testing.T) {
	data := t.TempDir()
	runInstances := `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111111111111:user/deployer","accountId":"111111111111","userName":"deployer"},` +
		`"eventTime":"2025-03-06T02:31:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0",` +
		`"requestParameters":{},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-0aaaaaaaaaaaaaaa1","networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-0bbbbbbbbbbbbbbb1","privateIpAddress":"10.1.2.3","association":{"publicIp":"54.1.2.3"}}]}}]}},` +
		`"eventID":"run-1","eventType":"AwsApiCall","recipientAccountId":"111111111111"}]}`
	write(t, data, "ct.json", []byte(runInstances))
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	// The PascalCase document alone first, so that its edges are checked
	// on their own.
	if _, err := Run(context.Background(), st, Config{Sources: []string{"../guardduty/testdata/get-findings-pascalcase.json"}}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := count(t, st, `SELECT count(*) FROM relationships WHERE from_id = 'interface:eni-0123456789abcdef0' AND to_id = 'ip:10.0.1.25'`); n < 1 {
		t.Error("PascalCase GuardDuty instance details: no interface address edge")
	}
	sources := []string{data, "../guardduty/testdata/get-findings-camelcase.json"}
	if _, err := Run(context.Background(), st, Config{Sources: sources}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, q := range []string{
		`SELECT count(*) FROM relationships WHERE from_id = 'instance:i-0aaaaaaaaaaaaaaa1' AND to_id = 'interface:eni-0bbbbbbbbbbbbbbb1' AND type = 'has_interface'`,
		`SELECT count(*) FROM relationships WHERE from_id = 'interface:eni-0bbbbbbbbbbbbbbb1' AND to_id = 'ip:54.1.2.3' AND detail = 'public'`,
		`SELECT count(*) FROM relationships WHERE from_id = 'interface:eni-0123456789abcdef0' AND to_id = 'ip:10.0.1.25' AND type = 'assigned_address' AND detail = 'private'`,
		`SELECT count(*) FROM relationships WHERE from_id = 'interface:eni-0123456789abcdef0' AND to_id = 'ip:203.0.113.25' AND detail = 'public'`,
		`SELECT count(*) FROM relationships r JOIN entities e ON e.entity_id = r.from_id WHERE r.type = 'has_interface' AND r.to_id = 'interface:eni-0123456789abcdef0'`,
		`SELECT count(*) FROM entities WHERE entity_id = 'interface:eni-0bbbbbbbbbbbbbbb1'`,
		// A finding about a role session's credentials involves the session,
		// named as CloudTrail names it.
		`SELECT count(*) FROM relationships WHERE from_id = 'finding:0c2a8f3e6d9b4a17b5e1f2d3c4b5a697' AND to_id = 'role_session:AROAEXAMPLEROLEID1234:i-0a1b2c3d4e5f67890' AND type = 'involves' AND detail = 'principal'`,
		`SELECT count(*) FROM entities WHERE entity_id = 'role_session:AROAEXAMPLEROLEID1234:i-0a1b2c3d4e5f67890' AND type = 'role_session'`,
	} {
		if n := count(t, st, q); n < 1 {
			t.Errorf("no match for %s", q)
		}
	}
}
