package api

import "github.com/pxgate/pxgate/history"

// Run is one recorded run of the gateway (GET /v1/runs/{id}): the script
// (a catalog name, or "inline" with the PxL's size and hash, never its
// text), arguments (secret-looking ones masked), cluster, outcome, verdict
// with each check's value, threshold and message, row counts, duration and
// the error of a run that did not complete.
type Run = history.Run

// RunList is the body of GET /v1/runs: recent runs, newest first. The
// gateway keeps a bounded number of recent runs and, separately, of recent
// failures, in memory: each replica lists its own.
type RunList struct {
	Runs []Run `json:"runs"`
}
