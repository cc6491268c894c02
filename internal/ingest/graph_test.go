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
