package guardduty

import (
	"bytes"
)

// Sniff reports whether the first bytes of an object look like security
// findings in one of the shapes the Decoder reads. It looks for markers
// that findings carry near their start, in either key casing; give it a few
// KiB, since keys come in any order and ASFF findings put ProductArn after
// long descriptions. A CloudTrail file that mentions GuardDuty is not
// mistaken for findings.
func Sniff(prefix []byte) bool {
	b := bytes.TrimPrefix(prefix, byteOrderMark)
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	if len(b) > 64<<10 {
		b = b[:64<<10]
	}
	lower := bytes.ToLower(b)
	has := func(s string) bool { return bytes.Contains(lower, []byte(s)) }
	first := func(markers ...string) int {
		at := -1
		for _, m := range markers {
			if i := bytes.Index(lower, []byte(m)); i >= 0 && (at < 0 || i < at) {
				at = i
			}
		}
		return at
	}
	finding := first(`"productarn"`, `"2018-10-08"`, `guardduty finding`, `security hub findings`,
		`:guardduty:`, `"detectorid"`, `"eventfirstseen"`)
	if finding < 0 {
		return false
	}
	// A CloudTrail record of a GuardDuty or Security Hub API call holds the
	// same ARNs and names, after its eventVersion; the first record decides.
	if ct := first(`"eventversion"`, `"eventsource"`); ct >= 0 && ct < finding {
		return false
	}
	switch {
	case has(`"productarn"`), has(`"2018-10-08"`): // ASFF
		return true
	case has(`"detail-type"`) && (has(`guardduty finding`) || has(`security hub findings`)):
		return true
	case has(`:guardduty:`) && (has(`"findings"`) || has(`"accountid"`) || has(`"schemaversion"`) || has(`"severity"`)):
		return true // a GuardDuty finding's arn, or get-findings output
	case has(`"schemaversion"`) && (has(`"detectorid"`) || has(`"eventfirstseen"`) || has(`"resourcerole"`)):
		return true
	}
	return false
}
