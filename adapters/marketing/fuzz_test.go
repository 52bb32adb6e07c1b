package marketing

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// FuzzDecodePoints: any response body gives points or an error, never a
// panic; accepted points have an id and a name, unique ids, and belong to
// the account asked about.
func FuzzDecodePoints(f *testing.F) {
	f.Add(`{"account":"5000000001","metering_points":[{"id":"1","name":"a","address":"x","voltage_code":"10kV","tariff_category":"大工业"}]}`, "5000000001")
	f.Add(`{"account":"5000000001","metering_points":[]}`, "5000000001")
	f.Add(`{"account":"5000000002","metering_points":[]}`, "5000000001")
	f.Add(`{"account":"5000000001","metering_points":[{"id":"1","name":"a"},{"id":"1","name":"b"}]}`, "5000000001")
	f.Add(`{"account":"5000000001"}`, "5000000001")
	f.Add(`[[[[[[[[[[`, "")
	f.Add(`{"account":"5000000001","metering_points":[{"id":" ","name":"\u0000"}]}`, "5000000001")
	f.Fuzz(func(t *testing.T, body, account string) {
		points, err := decodePoints(strings.NewReader(body), account)
		if err != nil {
			if points != nil {
				t.Fatalf("points %v with error %v", points, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range points {
			if p.ID == "" || p.Name == "" || seen[p.ID] {
				t.Fatalf("accepted point %+v", p)
			}
			seen[p.ID] = true
		}
		if !bytes.Contains([]byte(body), []byte("metering_points")) {
			t.Fatalf("accepted a body without metering_points: %q", body)
		}
	})
}

// FuzzRetryAfter: any header gives a non-negative delay or none.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if d, ok := retryAfter(h, testNow); ok && d < 0 {
			t.Fatalf("retryAfter(%q) = %v", h, d)
		}
	})
}
