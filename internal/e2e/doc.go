// Package e2e is the end-to-end suite: regbot's Main, or its built
// binaries, against a fake Telegram (bot/telegramtest), the marketing
// simulator and real Redis and Postgres on loopback. Its helpers are
// exported so that other suites can use them: World (world.go) boots Main
// in-process and plays an applicant and a reviewer; Proc, BuildRegbot and
// ProcessEnv (proc.go) run the production binary as an operator would;
// SeedApplication and TestVault (seed.go) put applications in a database.
// The tests are *_test.go files beside them, one file per concern (a full
// registration, review, crashes, replicas, faults, secrets, hostile files,
// configuration).
package e2e
