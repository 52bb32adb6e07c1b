package marketingsim

// Wire types of ../openapi.yaml. The simulator keeps its own copy, written
// from the contract, so that it checks the client rather than mirrors it.

// queryPath is the contract's only operation.
const queryPath = "/v1/metering-points/query"

type queryRequest struct {
	Account       *string `json:"account"`
	QueryPassword *string `json:"query_password"`
}

type queryResponse struct {
	Account        string      `json:"account"`
	MeteringPoints []wirePoint `json:"metering_points"`
}

type wirePoint struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Address        string `json:"address"`
	VoltageCode    string `json:"voltage_code"`
	TariffCategory string `json:"tariff_category"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// Error codes of the contract's error body.
const (
	errWrongPassword    = "wrong_password"
	errUnauthorized     = "unauthorized"
	errUnknownAccount   = "unknown_account"
	errUnavailable      = "unavailable"
	errBadRequest       = "bad_request"
	errNotFound         = "not_found"
	errMethodNotAllowed = "method_not_allowed"
)
