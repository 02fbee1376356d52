# demat — see README.md. Every target that needs system packages starts with
# `deps`, which installs only what is missing.

GO      ?= go
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/demat
CORPUS  ?= ../shared/corpus
PDFCPU_VERSION := v0.15.0
# Fyne's packager (the fyne command), pinned; run with go run, so nothing
# is installed by hand.
FYNE_TOOLS_VERSION := v1.7.4

# Tesseract's OpenMP threads fight the worker pool: one thread per worker.
export OMP_THREAD_LIMIT := 1

.PHONY: deps deps-bench build run test bench lint tools package clean

deps:
	@scripts/deps.sh build test

deps-bench:
	@scripts/deps.sh build test bench

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN)

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e '/scan/clean$$' -e '/scan/separate$$' -e '/scan/sane$$' -e '/demat$$')
	# The command's tests run demat end to end (OCR of whole batches) in
	# child processes: under the race detector they took over 15 minutes
	# for what the packages' own -race tests already cover.
	$(GO) test -count=1 -timeout 20m .
	# The SANE test backend has now and then stopped delivering a page
	# when its tests ran beside the OCR-heavy packages: they run on their
	# own.
	$(GO) test -race -count=1 -timeout 10m ./scan/sane
	# scan/clean and scan/separate are single-threaded pixel code: the
	# race detector has nothing to find there and would slow them tenfold.
	$(GO) test -count=1 -timeout 10m ./scan/clean ./scan/separate

bench: deps-bench build
	DEMAT_CORPUS=$(abspath $(CORPUS)) $(GO) test -run '^$$' -bench . -benchmem -count=1 ./ocr ./pdf ./scan/... ./pipeline
	# Start-up: from exec to the window mapped on Xvfb (goal: under 1.5 s).
	$(GO) test -run '^$$' -bench StartToWindow -benchtime 5x -count=1 .
	$(GO) run ./bench/compare -demat $(BIN) -corpus $(CORPUS)

lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./scan/... ./pdf ./pipeline ./upload ./assets
	# The pure-Go drivers build on every desktop OS.
	for os in windows darwin; do GOOS=$$os CGO_ENABLED=0 $(GO) vet ./scan ./scan/file ./scan/escl/... ./scan/watch ./internal/filelock || exit 1; done

# The Linux package: bin/demat.tar.xz, with the binary, the .desktop file
# (FyneApp.toml's name, id and categories) and the icon, and a Makefile
# that installs them (sudo make install, or make user-install).
package: build
	# fyne package --release counts builds in FyneApp.toml: it is put back.
	cp FyneApp.toml bin/.FyneApp.toml
	cd bin && $(GO) run fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION) package --target linux --release \
		--executable demat --name demat --src $(CURDIR) --icon $(CURDIR)/assets/icon.png; \
		s=$$?; mv .FyneApp.toml ../FyneApp.toml; exit $$s
	@tar -tJf bin/demat.tar.xz | grep -q '\.desktop$$' && tar -tJf bin/demat.tar.xz | grep -q 'share/pixmaps/.*\.png$$' \
		|| { echo "bin/demat.tar.xz lacks the .desktop file or the icon"; exit 1; }
	@echo "bin/demat.tar.xz"

# pdfcpu's command line, for checking PDFs by hand: bin/pdfcpu validate -m strict out.pdf
tools:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/pdfcpu/pdfcpu/cmd/pdfcpu@$(PDFCPU_VERSION)

clean:
	rm -rf bin
