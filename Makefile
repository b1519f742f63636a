# The README's commands. `make test` is what CI runs (.ci/run).
# Pinned test tools (actionlint, the MinIO server, Liquibase) live outside the module.
export SHEPHERD_TOOLS ?= $(HOME)/.cache/shepherd/tools

.PHONY: test tools vet lint bench demo build dist fuzz

build:
	go build -o bin/shepherd ./bot

# The release binaries and SHA256SUMS in dist/, as the dist workflow builds them on a tag.
VERSION ?= $(shell git describe --tags --always --dirty)
dist:
	scripts/dist.sh $(VERSION) dist

tools:
	scripts/tools.sh

vet:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

lint: tools
	$(SHEPHERD_TOOLS)/actionlint

test: tools vet lint
	go test -count=1 ./...

bench:
	go test -run '^$$' -bench . -benchtime 1x -timeout 60m ./internal/bench/

demo:
	go run ./bot demo

fuzz:
	scripts/fuzz.sh
