// Package marketing talks to the grid company's marketing system (营销系统),
// which lists the metering points (计量点) of a marketing account (营销户号)
// given the account's 95598 query password.
//
// The wire contract is openapi.yaml in this directory (POST
// /v1/metering-points/query). Client implements conversation.MeteringPoints
// over it. A simulator that speaks the same contract with fixture accounts,
// for the development stack and tests, is the subpackage marketingsim
// (kept apart so that the production binary does not link it).
//
// The query password is sent in the request body only. Neither the client
// nor the simulator logs, stores or puts it into an error.
package marketing
