package demo

import (
	"encoding/json"
	"os"
	"time"
)

// Truth is truth.json: what the demo staged, so that detections and
// investigations can be checked against it.
type Truth struct {
	Synthetic bool           `json:"synthetic"`
	Note      string         `json:"note"`
	Seed      int64          `json:"seed"`
	Days      int            `json:"days"`
	Start     time.Time      `json:"start"`
	End       time.Time      `json:"end"`
	OrgID     string         `json:"organization_id"`
	Accounts  []TruthAccount `json:"accounts"`
	GeoIP     TruthGeoIP     `json:"geoip"`
	Scenarios []Scenario     `json:"scenarios"`
	// NoAttacks: generated with Config.NoAttacks, so Scenarios holds only
	// the benign one.
	NoAttacks bool `json:"no_attacks,omitempty"`
}

// TruthAccount describes one account of the organisation.
type TruthAccount struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	FlowFormat string `json:"flow_log_format"`
	GuardDuty  bool   `json:"guardduty"`
}

// TruthGeoIP names the synthetic GeoIP databases.
type TruthGeoIP struct {
	City string `json:"city"`
	ASN  string `json:"asn"`
	Note string `json:"note"`
}

// Scenario is one staged attack or benign change.
type Scenario struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Benign      bool      `json:"benign"`
	AccountID   string    `json:"account_id"`
	Regions     []string  `json:"regions"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	// Entities are keyed as the behavior graph keys them (table
	// entities: type and natural_key).
	Entities []Entity `json:"entities"`
	// ExpectedFindings are the GuardDuty finding types a good detector
	// raises; empty for the benign scenario, which must raise none.
	ExpectedFindings []string `json:"expected_findings"`
	// GuardDutyFindings are the IDs of the findings the demo's GuardDuty
	// export holds for the scenario (GuardDuty is on in production only).
	GuardDutyFindings []string `json:"guardduty_findings"`
	Note              string   `json:"note,omitempty"`
}

// Entity is a graph entity: its type and natural key, as in the entities
// table.
type Entity struct {
	Type string `json:"type"`
	Key  string `json:"key"`
	Role string `json:"role"`
}

func (t *Truth) write(path string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadTruth reads a truth.json.
func ReadTruth(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	return &t, nil
}
