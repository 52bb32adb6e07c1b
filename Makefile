# regbot: the two commands are `make run` and `make test` (see README.md).
GO ?= go

.PHONY: run test deps vet build fuzz

## run: start the bot; local Redis/Postgres/marketing simulator when none are configured,
##      console chat when TELEGRAM_BOT_TOKEN is unset.
run: deps
	$(GO) run .

## test: every test, including those against real Redis and Postgres started on loopback.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

## fuzz: a short run of every fuzz target (the corpus under testdata/fuzz runs in `make test` too).
fuzz:
	for t in $$($(GO) test ./domain -list 'Fuzz.*' | grep ^Fuzz); do \
		$(GO) test ./domain -run '^$$' -fuzz "^$$t$$" -fuzztime 20s || exit 1; done

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o regbot .

deps:
	@./deploy/install-deps.sh
