package demo

import "time"

// LoadNow is the extra load running on service (namespace/name or name) at
// the cluster's now, in requests per second, and when the last of those
// loads ends; 0 and the zero time when none runs.
func (c *Cluster) LoadNow(service string) (extraRPS float64, until time.Time) {
	s, ok := c.svcByName[service]
	if !ok {
		return 0, time.Time{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock().UnixNano()
	var end int64
	for _, l := range c.loads {
		if l.svc == s && l.from <= now && now < l.to {
			extraRPS += l.rps
			end = max(end, l.to)
		}
	}
	if end == 0 {
		return 0, time.Time{}
	}
	return extraRPS, time.Unix(0, end).UTC()
}
