# regbot: the two commands are `make run` and `make test` (see README.md).
GO ?= go
# Go 1.27's encoding/json runs on the v2 implementation: session decoding is about
# twice as fast and allocates less than half as often as on 1.26 (docs/performance.md).
# go.mod still says 1.26.8, so plain go commands work on 1.26; a machine starts on its
# own Go and GOTOOLCHAIN=local may be its default, so the release is named here; the
# go command fetches it from the module proxy once (~76 MB).
export GOTOOLCHAIN := go1.27.3

.PHONY: run test deps vet build fuzz fuzz-long

## run: the development binary (cmd/regbot-dev): with nothing configured, a local stack
##      (Redis, Postgres, marketing simulator, sample catalog, keys under .data/) and a
##      console chat; with anything configured, the bot as in production.
run: deps
	$(GO) run ./cmd/regbot-dev

## test: every test, including those against real Redis and Postgres started on loopback.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## fuzz: every fuzz target for FUZZTIME each (the seed corpora also run in `make test`).
##       Targets are found in every package; a crasher lands in the package's
##       testdata/fuzz/ and becomes a seed: commit it with the fix.
FUZZTIME ?= 20s
FUZZPKGS = $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)
fuzz:
	for p in $(FUZZPKGS); do \
		for t in $$($(GO) test $$p -list 'Fuzz.*' | grep ^Fuzz); do \
			$(GO) test $$p -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; done; done

## fuzz-long: every fuzz target for 2 minutes (not in CI; about 2 min × targets).
fuzz-long:
	$(MAKE) fuzz FUZZTIME=2m

## build: the production binary (./regbot) and the development one (./regbot-dev).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o regbot ./cmd/regbot
	CGO_ENABLED=0 $(GO) build -trimpath -o regbot-dev ./cmd/regbot-dev

deps:
	@./deploy/install-deps.sh

## bench: the load tool's standard scenarios at the shipped defaults (SPEC §6; fresh local
##        Redis and Postgres unless REDIS_URL/DATABASE_URL are set), each ending with the
##        SPEC §6 figures it measures, their targets and MET/MISSED: closed loop, 1,000
##        applicants with 50 steps in flight, and open loop, 1,000 steps/s offered, each with
##        the top 10 of a CPU profile of the bot per step; 10,000 drafts (peak PSS, Redis
##        memory per draft); the Mini App form's saves, 200/s offered; then the
##        micro-benchmarks with allocations. The load tool lifts only the per-chat rate limit
##        (BENCH_LIFT), as SPEC §6 allows, so that its users go at machine speed. About 16
##        minutes. Figures and their meaning: docs/performance.md.
BENCH_USERS ?= 1000
BENCH_ACTIVE ?= 50
BENCH_RATE ?= 1000
BENCH_DRAFTS ?= 10000
BENCH_FORM_RATE ?= 200
BENCH_LIFT ?= -bot-env CHAT_RATE_LIMIT=off -chat-rate 0
.PHONY: bench
BENCH_DIR ?= $${TMPDIR:-/tmp}/regbot-bench
bench: deps
	mkdir -p $(BENCH_DIR)
	$(GO) build -o $(BENCH_DIR)/regbot ./cmd/regbot
	$(GO) build -o $(BENCH_DIR)/regbot-dev ./cmd/regbot-dev
	$(BENCH_DIR)/regbot-dev loadtest -users $(BENCH_USERS) -active $(BENCH_ACTIVE) $(BENCH_LIFT) -profile 10
	$(BENCH_DIR)/regbot-dev loadtest -users $$((3 * $(BENCH_RATE))) -rate $(BENCH_RATE) $(BENCH_LIFT) -profile 20
	$(BENCH_DIR)/regbot-dev loadtest -users $(BENCH_DRAFTS) -active $(BENCH_ACTIVE) $(BENCH_LIFT) -duration 15m
	$(BENCH_DIR)/regbot-dev loadtest -users $(BENCH_USERS) -form $(BENCH_FORM_RATE)
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./conversation ./adapters/redis ./bot

## chaos: the chaos run (issue 19; SPEC §6, last row): CHAOS_USERS applicants (200) register
##        while one of two webhook replicas of the production binary is SIGKILLed CHAOS_KILLS
##        times (20) at random moments and restarted on its address; the fake Telegram
##        redelivers every failed delivery. Prints the counts and exits 1 unless each is right
##        (one application per applicant, every secret message deleted, no answer later than
##        the redelivery delay, no duplicate review card). About a minute and a half. A short
##        form (20 applicants, 4 kills) runs in `make test` (cmd/regbot-dev TestChaosShort).
CHAOS_USERS ?= 200
CHAOS_KILLS ?= 20
.PHONY: chaos
chaos: deps
	mkdir -p $(BENCH_DIR)
	$(GO) build -o $(BENCH_DIR)/regbot ./cmd/regbot
	$(GO) build -o $(BENCH_DIR)/regbot-dev ./cmd/regbot-dev
	$(BENCH_DIR)/regbot-dev loadtest -chaos -users $(CHAOS_USERS) -kills $(CHAOS_KILLS)
