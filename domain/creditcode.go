package domain

import "strings"

// usccChars is the GB 32100-2015 character set (no I, O, S, V, Z).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ErrCreditCodeChecksum is the Reason of a credit code whose format is right
// but whose check character is not. Some early genuine codes fail the check,
// so the user may confirm such a code; the application is then flagged.
const ReasonCreditCodeChecksum = "creditcode.checksum"

// ParseCreditCode validates a unified social credit code (统一社会信用代码,
// GB 32100-2015) and returns it normalised (upper case, no spaces). When
// only the check character is wrong it returns the normalised code together
// with an *Error whose Reason is ReasonCreditCodeChecksum.
func ParseCreditCode(s string) (string, error) {
	const field = FieldCreditCode
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(s) != 18 {
		return "", invalid(field, "creditcode.length")
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(usccChars, s[i])
		if v < 0 || (i >= 2 && i < 8 && v > 9) {
			return "", invalid(field, "creditcode.chars")
		}
		if i < 17 {
			sum += v * usccWeights[i]
		}
	}
	if usccChars[(31-sum%31)%31] != s[17] {
		return s, invalid(field, ReasonCreditCodeChecksum)
	}
	return s, nil
}
