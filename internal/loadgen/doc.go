// Package loadgen executes a plan: it runs the closed (virtual users) and
// open (arrival rate) load models, sends every request through the client,
// and records what each one measured into per-shard recorders. It measures
// and never prints; live progress leaves through a callback.
package loadgen
