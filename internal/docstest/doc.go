// Package docstest holds the test that keeps the documentation runnable: every command
// README.md and docs/*.md show is either run here as written (or in the concrete form a
// synopsis stands for) and must exit 0, or is listed with the reason it cannot run here.
// A command added to the docs without either fails the test.
package docstest
