// Package config reads pxgate's configuration from the environment (the
// variable names are part of the contract: the Helm chart, the examples and
// the seed's users rely on them), validates it once at start-up and prints
// it with secrets redacted.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// DefaultCloudAddr is the Pixie Community Cloud.
const DefaultCloudAddr = "work.withpixie.ai:443"

// MinAnswerMemory is the smallest PXGATE_ANSWER_MEMORY: what one run
// leases from the budget before its query starts (handlers'
// answerBaseBytes). A smaller budget would refuse every run.
const MinAnswerMemory = 2 << 20

// Config is the whole configuration. Zero values are not meaningful: use Load.
type Config struct {
	// Pixie side, with the names the seed's users already have.
	APIKey         string   `envconfig:"PIXIE_API_KEY" desc:"Pixie API key (secret); required for Pixie Cloud"`
	ClusterID      string   `envconfig:"PIXIE_CLUSTER_ID" desc:"default cluster id (UUID) for queries that name none"`
	CloudAddr      string   `envconfig:"PIXIE_CLOUD_ADDR" desc:"Pixie Cloud gRPC address host:port (default work.withpixie.ai:443)"`
	ServerURL      string   `envconfig:"PIXIE_SERVER_URL" desc:"the seed's name for PIXIE_CLOUD_ADDR; a URL or host is accepted"`
	DirectAddr     string   `envconfig:"PIXIE_DIRECT_ADDR" desc:"a Vizier's host:port, to query it directly instead of through the cloud"`
	DirectPlain    bool     `envconfig:"PIXIE_DIRECT_PLAINTEXT" desc:"no TLS on the direct Vizier connection"`
	TLSCAFile      string   `envconfig:"PIXIE_TLS_CA_FILE" desc:"PEM file of CA certificates to trust for Pixie"`
	TLSSkipVerify  bool     `envconfig:"PIXIE_TLS_SKIP_VERIFY" desc:"do not verify Pixie's TLS certificate (in-cluster addresses only)"`
	E2EEncryption  string   `envconfig:"PIXIE_E2E_ENCRYPTION" default:"auto" desc:"end-to-end encryption of results: auto, on, off"`
	MaxRecvMiB     int      `envconfig:"PIXIE_MAX_RECV_MIB" default:"256" desc:"largest gRPC message accepted from Pixie, MiB"`
	ListenAddr     string   `envconfig:"PXGATE_LISTEN_ADDR" default:":8080" desc:"HTTP listen address"`
	TLSCertFile    string   `envconfig:"PXGATE_TLS_CERT_FILE" desc:"serve HTTPS with this PEM certificate (chain) file (re-read on change and SIGHUP)"`
	TLSKeyFile     string   `envconfig:"PXGATE_TLS_KEY_FILE" desc:"the PEM private key of PXGATE_TLS_CERT_FILE"`
	Demo           string   `envconfig:"PXGATE_DEMO" default:"auto" desc:"embedded demo cluster: auto (when no Pixie credentials), on, off"`
	DemoVizierAddr string   `envconfig:"PXGATE_DEMO_VIZIER_ADDR" default:"127.0.0.1:0" desc:"address of the demo cluster's Vizier (gRPC, plaintext), for other Pixie clients"`
	ScriptsDir     string   `envconfig:"PXGATE_SCRIPTS_DIR" desc:"directory of user .pxl scripts for the named catalog"`
	AllowInline    bool     `envconfig:"PXGATE_ALLOW_INLINE" default:"true" desc:"accept inline PxL (false: named scripts only)"`
	AllowMutations bool     `envconfig:"PXGATE_ALLOW_MUTATIONS" default:"false" desc:"run scripts that change the cluster (pxtrace tracepoints, pxconfig agent settings)"`
	AuthTokensFile string   `envconfig:"PXGATE_AUTH_TOKENS_FILE" desc:"file of caller bearer tokens, one per line (re-read on change and SIGHUP)"`
	AuthOpenPaths  []string `envconfig:"PXGATE_AUTH_OPEN_PATHS" default:"/healthz,/readyz,/metrics" desc:"paths served without a caller token"`
	MaxConcurrent  int      `envconfig:"PXGATE_MAX_CONCURRENT" default:"16" desc:"Pixie queries run at once; more are refused with 429"`
	CallerShare    float64  `envconfig:"PXGATE_CALLER_SHARE" default:"0.5" desc:"share of PXGATE_MAX_CONCURRENT one caller (token, or address without tokens) may hold at once; 1: no per-caller cap"`
	// QueryTimeout caps every query; DefaultTimeout applies when a request names none.
	QueryTimeout    time.Duration `envconfig:"PXGATE_QUERY_TIMEOUT" default:"60s" desc:"longest a query may run (requests asking more are capped)"`
	DefaultTimeout  time.Duration `envconfig:"PXGATE_DEFAULT_TIMEOUT" default:"30s" desc:"query timeout when a request gives none"`
	MaxRows         int           `envconfig:"PXGATE_MAX_ROWS" default:"10000" desc:"rows returned per table (tolerances still see all rows)"`
	MaxStreamRows   int           `envconfig:"PXGATE_MAX_STREAM_ROWS" default:"1000000" desc:"rows streamed per table in csv/ndjson (constant memory whatever the size)"`
	AnswerMemory    int64         `envconfig:"PXGATE_ANSWER_MEMORY" default:"268435456" desc:"bytes all answers in flight may hold at once (each run 2 MiB, plus what an answer held for its verdict holds; at least 2 MiB); beyond, 503 with Retry-After"`
	HistorySize     int           `envconfig:"PXGATE_HISTORY_SIZE" default:"200" desc:"recent runs kept for /v1/runs and the page at /"`
	MaxBodyBytes    int64         `envconfig:"PXGATE_MAX_BODY_BYTES" default:"1048576" desc:"largest request body"`
	CacheTTL        time.Duration `envconfig:"PXGATE_CACHE_TTL" default:"10s" desc:"GET runs and /probe: identical requests share one query's answer for this long (0: off; POST runs and expect= checks run fresh)"`
	CacheMaxEntries int           `envconfig:"PXGATE_CACHE_MAX_ENTRIES" default:"1000" desc:"answers the cache keeps at most"`
	CacheMaxBytes   int64         `envconfig:"PXGATE_CACHE_MAX_BYTES" default:"67108864" desc:"bytes of answers the cache keeps at most"`
	AllowedClusters []string      `envconfig:"PXGATE_ALLOWED_CLUSTERS" desc:"comma-separated cluster ids callers may query (empty: any)"`
	LogLevel        string        `envconfig:"PXGATE_LOG_LEVEL" default:"info" desc:"debug, info, warn, error"`
	LogFormat       string        `envconfig:"PXGATE_LOG_FORMAT" default:"json" desc:"json or text"`
	ShutdownDelay   time.Duration `envconfig:"PXGATE_SHUTDOWN_DELAY" default:"0s" desc:"on SIGTERM, keep serving this long with /readyz failing before closing the port (load balancers catch up)"`
	ShutdownGrace   time.Duration `envconfig:"PXGATE_SHUTDOWN_GRACE" default:"20s" desc:"time in-flight requests get to finish on SIGTERM"`

	// DemoOn is derived by Validate: whether the embedded demo cluster serves queries.
	DemoOn bool `ignored:"true"`
}

// Load reads the environment and validates the result.
func Load() (*Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: cannot use %q as %s: %v", pe.KeyName, redactIfSecret(pe.KeyName, pe.Value), pe.TypeName, pe.Err)
		}
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func redactIfSecret(key, v string) string {
	if key == "PIXIE_API_KEY" {
		return "<redacted>"
	}
	return v
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate normalises addresses, derives DemoOn and reports every invalid
// or conflicting setting at once, each with the variable's name and why.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c.validatePixieAddrs(bad)
	c.validateClusters(bad)
	c.validateServing(bad)
	c.validateLimits(bad)
	c.validateLogging(bad)
	c.validateMode(bad)
	c.validateSkipVerify(bad)
	return errors.Join(errs...)
}

// validatePixieAddrs normalises and checks how Pixie is reached: the cloud
// or a direct Vizier, TLS, encryption and the message size.
func (c *Config) validatePixieAddrs(bad func(format string, args ...any)) {
	if c.ServerURL != "" {
		if c.CloudAddr != "" {
			bad("PIXIE_CLOUD_ADDR and PIXIE_SERVER_URL are both set: keep one (PIXIE_SERVER_URL is the older name)")
		} else {
			c.CloudAddr = c.ServerURL
		}
	}
	cloudVar := c.cloudVar()
	if c.CloudAddr != "" {
		addr, err := normaliseAddr(c.CloudAddr, "443")
		if err != nil {
			bad("%s: %v", cloudVar, err)
		}
		c.CloudAddr = addr
	}
	if c.DirectAddr != "" {
		if c.CloudAddr != "" {
			bad("PIXIE_DIRECT_ADDR and %s are both set: a direct Vizier connection does not go through the cloud; keep one", cloudVar)
		}
		addr, err := normaliseAddr(c.DirectAddr, "")
		if err != nil {
			bad("PIXIE_DIRECT_ADDR: %v", err)
		}
		c.DirectAddr = addr
	} else {
		if c.DirectPlain {
			bad("PIXIE_DIRECT_PLAINTEXT is set without PIXIE_DIRECT_ADDR: Pixie Cloud is always reached over TLS")
		}
	}
	if c.DirectPlain && (c.TLSSkipVerify || c.TLSCAFile != "") {
		bad("PIXIE_DIRECT_PLAINTEXT conflicts with PIXIE_TLS_SKIP_VERIFY/PIXIE_TLS_CA_FILE: plaintext has no TLS to configure")
	}
	if c.TLSCAFile != "" {
		if _, err := os.Stat(c.TLSCAFile); err != nil {
			bad("PIXIE_TLS_CA_FILE: %v", err)
		}
	}
	switch strings.ToLower(c.E2EEncryption) {
	case "auto", "on", "true", "off", "false":
	default:
		bad("PIXIE_E2E_ENCRYPTION: %q is not one of auto, on, off", c.E2EEncryption)
	}
	if c.MaxRecvMiB < 4 {
		bad("PIXIE_MAX_RECV_MIB must be at least 4 (gRPC's default); got %d", c.MaxRecvMiB)
	}
}

// validateClusters checks the default cluster id and the allowed ones.
func (c *Config) validateClusters(bad func(format string, args ...any)) {
	if c.ClusterID != "" && !uuidRe.MatchString(c.ClusterID) {
		bad("PIXIE_CLUSTER_ID: %q is not a cluster id (a UUID like 7a1c2b3d-0000-4000-8000-00000000abcd)", c.ClusterID)
	}
	for i, id := range c.AllowedClusters {
		c.AllowedClusters[i] = strings.TrimSpace(id)
		if !uuidRe.MatchString(c.AllowedClusters[i]) {
			bad("PXGATE_ALLOWED_CLUSTERS: %q is not a cluster id (UUID)", id)
		}
	}
	if c.ClusterID != "" && len(c.AllowedClusters) > 0 && !slices.ContainsFunc(c.AllowedClusters, func(a string) bool { return strings.EqualFold(a, c.ClusterID) }) {
		bad("PIXIE_CLUSTER_ID %s is not in PXGATE_ALLOWED_CLUSTERS: the default cluster must be allowed", c.ClusterID)
	}
}

// validateServing checks pxgate's own side: listen address, HTTPS pair,
// open paths and the scripts directory.
func (c *Config) validateServing(bad func(format string, args ...any)) {
	if _, err := normaliseAddr(c.ListenAddr, ""); err != nil && !strings.HasPrefix(c.ListenAddr, ":") {
		bad("PXGATE_LISTEN_ADDR: %v", err)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("PXGATE_TLS_CERT_FILE and PXGATE_TLS_KEY_FILE go together: set both to serve HTTPS, or neither")
	}
	tlsFilesFound := c.TLSCertFile != "" && c.TLSKeyFile != ""
	for _, f := range []struct{ name, path string }{{"PXGATE_TLS_CERT_FILE", c.TLSCertFile}, {"PXGATE_TLS_KEY_FILE", c.TLSKeyFile}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				bad("%s: %v", f.name, err)
				tlsFilesFound = false
			}
		}
	}
	if tlsFilesFound {
		// Parse the pair as serving would: a garbage file or a key that is
		// not the certificate's is a configuration error. The error names
		// the problem, never the files' contents.
		if _, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile); err != nil {
			bad("PXGATE_TLS_CERT_FILE (%s) and PXGATE_TLS_KEY_FILE (%s) are not a usable key pair: %v", c.TLSCertFile, c.TLSKeyFile, err)
		}
	}
	for _, p := range c.AuthOpenPaths {
		if !strings.HasPrefix(p, "/") {
			bad("PXGATE_AUTH_OPEN_PATHS: %q is not a path (start it with /)", p)
		}
	}
	if c.ScriptsDir != "" {
		if st, err := os.Stat(c.ScriptsDir); err != nil {
			bad("PXGATE_SCRIPTS_DIR: %v", err)
		} else if !st.IsDir() {
			bad("PXGATE_SCRIPTS_DIR: %s is not a directory", c.ScriptsDir)
		}
	}
}

// validateLimits checks the numeric bounds: concurrency, timeouts, rows,
// history, body size, cache and shutdown.
func (c *Config) validateLimits(bad func(format string, args ...any)) {
	if c.MaxConcurrent < 1 {
		bad("PXGATE_MAX_CONCURRENT must be at least 1; got %d", c.MaxConcurrent)
	}
	if !(c.CallerShare > 0 && c.CallerShare <= 1) {
		bad("PXGATE_CALLER_SHARE must be in (0, 1], a share of PXGATE_MAX_CONCURRENT; got %v", c.CallerShare)
	}
	if c.QueryTimeout <= 0 {
		bad("PXGATE_QUERY_TIMEOUT must be positive; got %s", c.QueryTimeout)
	}
	if c.DefaultTimeout <= 0 {
		bad("PXGATE_DEFAULT_TIMEOUT must be positive; got %s", c.DefaultTimeout)
	} else if c.QueryTimeout > 0 && c.DefaultTimeout > c.QueryTimeout {
		bad("PXGATE_DEFAULT_TIMEOUT (%s) exceeds PXGATE_QUERY_TIMEOUT (%s), the cap", c.DefaultTimeout, c.QueryTimeout)
	}
	if c.MaxRows < 1 {
		bad("PXGATE_MAX_ROWS must be at least 1; got %d", c.MaxRows)
	}
	if c.MaxStreamRows < 1 {
		bad("PXGATE_MAX_STREAM_ROWS must be at least 1; got %d", c.MaxStreamRows)
	}
	if c.AnswerMemory < MinAnswerMemory {
		bad("PXGATE_ANSWER_MEMORY must be at least %d (2 MiB, what one run leases to start); got %d", MinAnswerMemory, c.AnswerMemory)
	}
	if c.HistorySize < 1 {
		bad("PXGATE_HISTORY_SIZE must be at least 1; got %d", c.HistorySize)
	}
	if c.MaxBodyBytes < 1024 {
		bad("PXGATE_MAX_BODY_BYTES must be at least 1024; got %d", c.MaxBodyBytes)
	}
	if c.CacheTTL < 0 {
		bad("PXGATE_CACHE_TTL must not be negative; got %s", c.CacheTTL)
	}
	if c.CacheTTL > 0 && (c.CacheMaxEntries < 1 || c.CacheMaxBytes < 1024) {
		bad("PXGATE_CACHE_MAX_ENTRIES must be at least 1 and PXGATE_CACHE_MAX_BYTES at least 1024 when the cache is on; got %d, %d", c.CacheMaxEntries, c.CacheMaxBytes)
	}
	if c.ShutdownDelay < 0 {
		bad("PXGATE_SHUTDOWN_DELAY must not be negative; got %s", c.ShutdownDelay)
	}
	if c.ShutdownGrace < 0 {
		bad("PXGATE_SHUTDOWN_GRACE must not be negative; got %s", c.ShutdownGrace)
	}
}

// validateLogging checks the log level and format.
func (c *Config) validateLogging(bad func(format string, args ...any)) {
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("PXGATE_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch strings.ToLower(c.LogFormat) {
	case "json", "text":
	default:
		bad("PXGATE_LOG_FORMAT: %q is not one of json, text", c.LogFormat)
	}
}

// validateMode derives DemoOn and checks that the credentials say which
// Pixie to query: a missing one is an error, never a silent demo.
func (c *Config) validateMode(bad func(format string, args ...any)) {
	if c.DirectPlain && c.APIKey != "" && !loopback(c.DirectAddr) {
		bad("PIXIE_API_KEY with PIXIE_DIRECT_PLAINTEXT would send the key unencrypted to %s: use TLS, or leave the key out (a standalone Vizier does not need it)", c.DirectAddr)
	}

	hasCreds := c.APIKey != "" || c.DirectAddr != ""
	// Any Pixie setting means a real Pixie was meant: a missing key (an
	// absent Secret) must be an error, never a silent switch to fake data.
	pixieConfigured := hasCreds || c.ClusterID != "" || c.CloudAddr != ""
	switch strings.ToLower(c.Demo) {
	case "auto":
		c.DemoOn = !pixieConfigured
	case "on", "true":
		c.DemoOn = true
	case "off", "false":
		c.DemoOn = false
	default:
		bad("PXGATE_DEMO: %q is not one of auto, on, off", c.Demo)
	}
	switch {
	case c.DemoOn && strings.EqualFold(c.Demo, "on") && hasCreds:
		bad("PXGATE_DEMO=on conflicts with PIXIE_API_KEY/PIXIE_DIRECT_ADDR: the demo cluster would silently replace your Pixie; unset one")
	case c.DemoOn:
		if _, err := normaliseAddr(c.DemoVizierAddr, ""); err != nil {
			bad("PXGATE_DEMO_VIZIER_ADDR: %v", err)
		}
	case c.DirectAddr == "":
		if c.APIKey == "" {
			bad("PIXIE_API_KEY is required to query through Pixie Cloud (or set PIXIE_DIRECT_ADDR to query a Vizier directly, or PXGATE_DEMO=auto for the demo cluster)")
		}
		if c.ClusterID == "" {
			bad("PIXIE_CLUSTER_ID is required with Pixie Cloud: it names the cluster to query")
		}
	}
}

// validateSkipVerify refuses PIXIE_TLS_SKIP_VERIFY for an address outside
// the cluster, as Pixie's own client does: without verification anyone who
// answers for that name gets the API key and the results. A self-signed
// Pixie is trusted with PIXIE_TLS_CA_FILE instead.
func (c *Config) validateSkipVerify(bad func(format string, args ...any)) {
	if !c.skipsVerify() {
		return
	}
	name, addr := c.tlsTarget()
	if !inCluster(addr) {
		bad("PIXIE_TLS_SKIP_VERIFY is only for in-cluster addresses (*.cluster.local, *.svc, a bare service name, loopback or a private IP); %s %s is not one, and skipping verification there would hand PIXIE_API_KEY to whoever answers for it: trust its certificate with PIXIE_TLS_CA_FILE instead", name, redactAddr(addr))
	}
}

// skipsVerify reports whether a certificate goes unverified: skip verify
// is on and pxgate dials Pixie over TLS (not the demo, not plaintext).
func (c *Config) skipsVerify() bool {
	return c.TLSSkipVerify && !c.DemoOn && !c.DirectPlain
}

// tlsTarget is the address pxgate dials Pixie at, and the variable it
// came from: the direct Vizier's, else the cloud's.
func (c *Config) tlsTarget() (name, addr string) {
	if c.DirectAddr != "" {
		return "PIXIE_DIRECT_ADDR", c.DirectAddr
	}
	return c.cloudVar(), c.CloudOrDefault()
}

// inCluster reports whether addr's host is reachable only from inside a
// cluster or this machine: a Kubernetes service name, loopback, or a
// private IP.
func inCluster(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsPrivate()
	}
	return host == "localhost" || !strings.Contains(host, ".") ||
		strings.HasSuffix(host, ".cluster.local") || strings.HasSuffix(host, ".svc")
}

// Warnings lists settings that are valid but weaken security, for the
// start-up log and -check-config.
func (c *Config) Warnings() []string {
	var w []string
	if c.skipsVerify() {
		_, addr := c.tlsTarget()
		w = append(w, fmt.Sprintf("PIXIE_TLS_SKIP_VERIFY is on: the certificate of %s is not verified, so the API key and the results go to whoever answers for that address; prefer PIXIE_TLS_CA_FILE", redactAddr(addr)))
	}
	return w
}

// cloudVar names the variable the cloud address came from: PIXIE_SERVER_URL
// (the seed's name) when the user set that one, else PIXIE_CLOUD_ADDR
// (Validate refuses both at once and copies PIXIE_SERVER_URL to CloudAddr).
func (c *Config) cloudVar() string {
	if c.ServerURL != "" {
		return "PIXIE_SERVER_URL"
	}
	return "PIXIE_CLOUD_ADDR"
}

// redactAddr returns s, an address or URL as a user wrote it, with any
// user info (user:password@) replaced by xxxxx, for messages and logs.
func redactAddr(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return s[:start] + "xxxxx" + s[at:]
}

// loopback reports whether addr's host is a loopback address or localhost.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normaliseAddr accepts host:port, a bare host (with defPort), or a URL
// such as https://work.withpixie.ai, and returns host:port. A URL's user
// info is dropped (Pixie takes PIXIE_API_KEY, not passwords in addresses);
// errors never repeat it.
func normaliseAddr(s, defPort string) (string, error) {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || (u.User == nil && strings.Contains(s, "@")) {
			// The last: an '@' the URL parser did not take for user info
			// (a password with a '/'): the host would be part of it.
			return "", fmt.Errorf("%q is not an address (want host:port)", redactAddr(s))
		}
		s = u.Host
		if defPort == "" && u.Scheme == "https" {
			defPort = "443"
		}
	}
	if strings.Contains(s, "@") {
		return "", fmt.Errorf("%q is not an address (want host:port, or a URL for user info)", redactAddr(s))
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if defPort == "" || strings.Contains(s, "/") {
			return "", fmt.Errorf("%q is not an address (want host:port)", s)
		}
		host, port = s, defPort
	}
	if host == "" && !strings.HasPrefix(s, ":") {
		return "", fmt.Errorf("%q has no host", s)
	}
	if port == "" {
		return "", fmt.Errorf("%q has no port", s)
	}
	return net.JoinHostPort(host, port), nil
}

// Encrypt reports whether result batches are end-to-end encrypted: on
// always, off never, auto in cloud mode (results cross Pixie Cloud) but not
// on a direct Vizier connection.
func (c *Config) Encrypt() bool {
	switch strings.ToLower(c.E2EEncryption) {
	case "on", "true":
		return true
	case "off", "false":
		return false
	}
	return c.DirectAddr == "" && !c.DemoOn
}

// PerCallerQueries is how many queries one caller may run at once:
// PXGATE_CALLER_SHARE of PXGATE_MAX_CONCURRENT, rounded down, at least 1.
// It equals MaxConcurrent when the share is 1 (no per-caller cap).
func (c *Config) PerCallerQueries() int {
	return max(1, min(c.MaxConcurrent, int(c.CallerShare*float64(c.MaxConcurrent))))
}

// CloudOrDefault returns the cloud address that applies in cloud mode.
func (c *Config) CloudOrDefault() string {
	if c.CloudAddr != "" {
		return c.CloudAddr
	}
	return DefaultCloudAddr
}

// Print writes the effective configuration, one variable per line, with
// secrets redacted, for `server -check-config`.
func (c *Config) Print(w io.Writer) error {
	mode := "pixie cloud " + redactAddr(c.CloudOrDefault())
	if c.DirectAddr != "" {
		mode = "direct vizier " + redactAddr(c.DirectAddr)
	}
	if c.DemoOn {
		mode = "demo"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "mode\t%s\n", mode)
	rows := []struct{ k, v string }{
		{"PIXIE_API_KEY", redacted(c.APIKey)},
		{"PIXIE_CLUSTER_ID", c.ClusterID},
		{c.cloudVar(), redactAddr(c.CloudAddr)},
		{"PIXIE_DIRECT_ADDR", redactAddr(c.DirectAddr)},
		{"PIXIE_DIRECT_PLAINTEXT", fmt.Sprint(c.DirectPlain)},
		{"PIXIE_TLS_CA_FILE", c.TLSCAFile},
		{"PIXIE_TLS_SKIP_VERIFY", skipVerifyText(c.TLSSkipVerify)},
		{"PIXIE_E2E_ENCRYPTION", fmt.Sprintf("%s (encrypting: %v)", c.E2EEncryption, c.Encrypt())},
		{"PIXIE_MAX_RECV_MIB", fmt.Sprint(c.MaxRecvMiB)},
		{"PXGATE_LISTEN_ADDR", redactAddr(c.ListenAddr)},
		{"PXGATE_TLS_CERT_FILE", c.TLSCertFile},
		{"PXGATE_TLS_KEY_FILE", c.TLSKeyFile},
		{"PXGATE_DEMO", c.Demo},
		{"PXGATE_DEMO_VIZIER_ADDR", redactAddr(c.DemoVizierAddr)},
		{"PXGATE_SCRIPTS_DIR", c.ScriptsDir},
		{"PXGATE_ALLOW_INLINE", fmt.Sprint(c.AllowInline)},
		{"PXGATE_ALLOW_MUTATIONS", fmt.Sprint(c.AllowMutations)},
		{"PXGATE_AUTH_TOKENS_FILE", c.AuthTokensFile},
		{"PXGATE_AUTH_OPEN_PATHS", strings.Join(c.AuthOpenPaths, ",")},
		{"PXGATE_MAX_CONCURRENT", fmt.Sprint(c.MaxConcurrent)},
		{"PXGATE_CALLER_SHARE", fmt.Sprintf("%v (%d queries per caller)", c.CallerShare, c.PerCallerQueries())},
		{"PXGATE_QUERY_TIMEOUT", c.QueryTimeout.String()},
		{"PXGATE_DEFAULT_TIMEOUT", c.DefaultTimeout.String()},
		{"PXGATE_MAX_ROWS", fmt.Sprint(c.MaxRows)},
		{"PXGATE_MAX_STREAM_ROWS", fmt.Sprint(c.MaxStreamRows)},
		{"PXGATE_ANSWER_MEMORY", fmt.Sprint(c.AnswerMemory)},
		{"PXGATE_HISTORY_SIZE", fmt.Sprint(c.HistorySize)},
		{"PXGATE_MAX_BODY_BYTES", fmt.Sprint(c.MaxBodyBytes)},
		{"PXGATE_CACHE_TTL", c.CacheTTL.String()},
		{"PXGATE_CACHE_MAX_ENTRIES", fmt.Sprint(c.CacheMaxEntries)},
		{"PXGATE_CACHE_MAX_BYTES", fmt.Sprint(c.CacheMaxBytes)},
		{"PXGATE_ALLOWED_CLUSTERS", strings.Join(c.AllowedClusters, ",")},
		{"PXGATE_LOG_LEVEL", c.LogLevel},
		{"PXGATE_LOG_FORMAT", c.LogFormat},
		{"PXGATE_SHUTDOWN_DELAY", c.ShutdownDelay.String()},
		{"PXGATE_SHUTDOWN_GRACE", c.ShutdownGrace.String()},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r.k, r.v)
	}
	for _, warning := range c.Warnings() {
		fmt.Fprintf(tw, "warning\t%s\n", warning)
	}
	return tw.Flush()
}

func skipVerifyText(skip bool) string {
	if skip {
		return "true (Pixie's certificate is NOT verified)"
	}
	return "false"
}

func redacted(secret string) string {
	if secret == "" {
		return "(unset)"
	}
	return "(set, redacted)"
}

// Usage prints the table of variables (name, type, default, description).
func Usage(w io.Writer) error {
	var c Config
	return envconfig.Usagef("", &c, w, envconfig.DefaultTableFormat)
}
