package render

import (
	"io"
	"testing"
)

// The benchmarks render a report of 100,000 findings, the engine's default cap.

func BenchmarkJSON(b *testing.B) {
	report := bigReport(100_000, 120)
	b.ReportAllocs()
	for b.Loop() {
		if err := JSON(io.Discard, report); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkdown(b *testing.B) {
	report := bigReport(100_000, 120)
	b.ReportAllocs()
	for b.Loop() {
		if err := Markdown(io.Discard, report, MarkdownOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTML(b *testing.B) {
	report := bigReport(100_000, 120)
	b.ReportAllocs()
	for b.Loop() {
		if err := HTML(io.Discard, report, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
