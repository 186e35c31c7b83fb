package config

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pixie/fakevizier"
)

const cluster = "7a1c2b3d-0000-4000-8000-00000000abcd"

// setEnv clears every variable Config reads, then sets env. Tests using it
// cannot run in parallel (the environment is process-wide).
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		if k := typ.Field(i).Tag.Get("envconfig"); k != "" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "cloud mode takes the default community cloud address",
			env:  map[string]string{"PIXIE_API_KEY": "px-api-s3cr3t-config", "PIXIE_CLUSTER_ID": cluster},
			check: func(t *testing.T, c *Config) {
				if got := c.CloudOrDefault(); got != DefaultCloudAddr {
					t.Errorf("got %q, want %q", got, DefaultCloudAddr)
				}
				if c.DemoOn {
					t.Error("demo on with credentials")
				}
				if c.ListenAddr != ":8080" || c.MaxRows != 10000 || c.QueryTimeout != time.Minute || !c.AllowInline || !c.Encrypt() {
					t.Errorf("defaults not applied: %+v", c)
				}
			},
		},
		{
			name: "the seed's PIXIE_SERVER_URL is accepted as a URL",
			env:  map[string]string{"PIXIE_API_KEY": "k", "PIXIE_CLUSTER_ID": cluster, "PIXIE_SERVER_URL": "https://pixie.example.com"},
			check: func(t *testing.T, c *Config) {
				if c.CloudAddr != "pixie.example.com:443" {
					t.Errorf("got %q, want pixie.example.com:443", c.CloudAddr)
				}
			},
		},
		{
			name: "direct plaintext needs no key or cluster",
			env:  map[string]string{"PIXIE_DIRECT_ADDR": "127.0.0.1:51400", "PIXIE_DIRECT_PLAINTEXT": "true"},
			check: func(t *testing.T, c *Config) {
				if c.DirectAddr != "127.0.0.1:51400" || !c.DirectPlain || c.DemoOn || c.Encrypt() {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "no credentials means the demo cluster",
			env:  map[string]string{},
			check: func(t *testing.T, c *Config) {
				if !c.DemoOn || c.Encrypt() || c.DemoVizierAddr != "127.0.0.1:0" {
					t.Errorf("got demo %v encrypt %v addr %q", c.DemoOn, c.Encrypt(), c.DemoVizierAddr)
				}
			},
		},
		{
			name: "allowed clusters split on commas",
			env:  map[string]string{"PIXIE_DIRECT_ADDR": "vizier:51400", "PXGATE_ALLOWED_CLUSTERS": cluster + "," + strings.ToUpper(cluster)},
			check: func(t *testing.T, c *Config) {
				if len(c.AllowedClusters) != 2 {
					t.Errorf("got %v, want 2 ids", c.AllowedClusters)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			c, err := Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	cloud := map[string]string{"PIXIE_API_KEY": "px-api-s3cr3t-config", "PIXIE_CLUSTER_ID": cluster}
	with := func(extra map[string]string) map[string]string { return merged(cloud, extra) }
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"demo off without credentials names what to set", map[string]string{"PXGATE_DEMO": "off"}, []string{"PIXIE_API_KEY is required", "PIXIE_CLUSTER_ID is required", "PIXIE_DIRECT_ADDR"}},
		{"demo on with credentials", with(map[string]string{"PXGATE_DEMO": "on"}), []string{"PXGATE_DEMO=on conflicts"}},
		{"a cluster id without its key is no demo", map[string]string{"PIXIE_CLUSTER_ID": cluster}, []string{"PIXIE_API_KEY is required"}},
		{"a cloud address without a key is no demo", map[string]string{"PIXIE_CLOUD_ADDR": "pixie.example.com:443"}, []string{"PIXIE_API_KEY is required"}},
		{"a key over plaintext to a remote vizier", map[string]string{"PIXIE_DIRECT_ADDR": "10.0.0.7:51400", "PIXIE_DIRECT_PLAINTEXT": "true", "PIXIE_API_KEY": "px-api-s3cr3t-config"}, []string{"unencrypted"}},
		{"cloud without cluster id", map[string]string{"PIXIE_API_KEY": "k"}, []string{"PIXIE_CLUSTER_ID is required"}},
		{"cluster id not a uuid", with(map[string]string{"PIXIE_CLUSTER_ID": "prod"}), []string{`PIXIE_CLUSTER_ID: "prod" is not a cluster id`}},
		{"direct and cloud both", with(map[string]string{"PIXIE_DIRECT_ADDR": "v:1", "PIXIE_CLOUD_ADDR": "c:443"}), []string{"PIXIE_DIRECT_ADDR and PIXIE_CLOUD_ADDR are both set"}},
		{"cloud and server url both", with(map[string]string{"PIXIE_SERVER_URL": "a", "PIXIE_CLOUD_ADDR": "c:443"}), []string{"PIXIE_CLOUD_ADDR and PIXIE_SERVER_URL are both set"}},
		{"plaintext without direct", with(map[string]string{"PIXIE_DIRECT_PLAINTEXT": "true"}), []string{"PIXIE_DIRECT_PLAINTEXT is set without PIXIE_DIRECT_ADDR"}},
		{"plaintext with tls settings", map[string]string{"PIXIE_DIRECT_ADDR": "v:1", "PIXIE_DIRECT_PLAINTEXT": "1", "PIXIE_TLS_SKIP_VERIFY": "true"}, []string{"conflicts with PIXIE_TLS_SKIP_VERIFY"}},
		{"direct address without port", map[string]string{"PIXIE_DIRECT_ADDR": "vizier"}, []string{`PIXIE_DIRECT_ADDR: "vizier" is not an address`}},
		{"missing CA file", with(map[string]string{"PIXIE_TLS_CA_FILE": "/nonexistent/ca.pem"}), []string{"PIXIE_TLS_CA_FILE"}},
		{"bad bool", with(map[string]string{"PXGATE_ALLOW_INLINE": "maybe"}), []string{`PXGATE_ALLOW_INLINE: cannot use "maybe"`}},
		{"bad duration", with(map[string]string{"PXGATE_QUERY_TIMEOUT": "soon"}), []string{`PXGATE_QUERY_TIMEOUT: cannot use "soon"`}},
		{"default timeout above cap", with(map[string]string{"PXGATE_QUERY_TIMEOUT": "10s", "PXGATE_DEFAULT_TIMEOUT": "20s"}), []string{"exceeds PXGATE_QUERY_TIMEOUT"}},
		{"zero rows", with(map[string]string{"PXGATE_MAX_ROWS": "0"}), []string{"PXGATE_MAX_ROWS must be at least 1"}},
		{"zero concurrency", with(map[string]string{"PXGATE_MAX_CONCURRENT": "0"}), []string{"PXGATE_MAX_CONCURRENT must be at least 1"}},
		{"a TLS certificate without its key", with(map[string]string{"PXGATE_TLS_CERT_FILE": "config_test.go"}), []string{"PXGATE_TLS_CERT_FILE and PXGATE_TLS_KEY_FILE go together"}},
		{"missing TLS files", with(map[string]string{"PXGATE_TLS_CERT_FILE": "/nonexistent/tls.crt", "PXGATE_TLS_KEY_FILE": "/nonexistent/tls.key"}), []string{"PXGATE_TLS_CERT_FILE: stat /nonexistent/tls.crt", "PXGATE_TLS_KEY_FILE: stat"}},
		{"negative shutdown delay", with(map[string]string{"PXGATE_SHUTDOWN_DELAY": "-1s"}), []string{"PXGATE_SHUTDOWN_DELAY must not be negative"}},
		{"bad log level", with(map[string]string{"PXGATE_LOG_LEVEL": "loud"}), []string{"PXGATE_LOG_LEVEL"}},
		{"bad log format", with(map[string]string{"PXGATE_LOG_FORMAT": "xml"}), []string{"PXGATE_LOG_FORMAT"}},
		{"bad demo value", with(map[string]string{"PXGATE_DEMO": "maybe"}), []string{"PXGATE_DEMO"}},
		{"bad allowed cluster", with(map[string]string{"PXGATE_ALLOWED_CLUSTERS": "prod"}), []string{"PXGATE_ALLOWED_CLUSTERS"}},
		{"default cluster not allowed", with(map[string]string{"PXGATE_ALLOWED_CLUSTERS": "00000000-0000-4000-8000-000000000001"}), []string{"is not in PXGATE_ALLOWED_CLUSTERS"}},
		{"missing scripts dir", with(map[string]string{"PXGATE_SCRIPTS_DIR": "/nonexistent/scripts"}), []string{"PXGATE_SCRIPTS_DIR"}},
		{"bad encryption value", with(map[string]string{"PIXIE_E2E_ENCRYPTION": "maybe"}), []string{"PIXIE_E2E_ENCRYPTION"}},
		{"cache without room", with(map[string]string{"PXGATE_CACHE_TTL": "10s", "PXGATE_CACHE_MAX_ENTRIES": "0"}), []string{"PXGATE_CACHE_MAX_ENTRIES"}},
		{"open path not a path", with(map[string]string{"PXGATE_AUTH_OPEN_PATHS": "healthz"}), []string{"PXGATE_AUTH_OPEN_PATHS"}},
		{"several problems reported at once", map[string]string{"PXGATE_MAX_ROWS": "-1", "PXGATE_LOG_LEVEL": "x", "PIXIE_API_KEY": "k"}, []string{"PXGATE_MAX_ROWS", "PXGATE_LOG_LEVEL", "PIXIE_CLUSTER_ID"}},
		{"bad demo vizier address", map[string]string{"PXGATE_DEMO_VIZIER_ADDR": "nowhere"}, []string{"PXGATE_DEMO_VIZIER_ADDR"}},
		{"skip verify towards the community cloud", with(map[string]string{"PIXIE_TLS_SKIP_VERIFY": "true"}), []string{"PIXIE_TLS_SKIP_VERIFY is only for in-cluster addresses", "PIXIE_CLOUD_ADDR work.withpixie.ai:443", "PIXIE_TLS_CA_FILE"}},
		{"skip verify towards a public self-hosted cloud", with(map[string]string{"PIXIE_TLS_SKIP_VERIFY": "true", "PIXIE_SERVER_URL": "https://user:pw@pixie.example.com"}), []string{"PIXIE_SERVER_URL pixie.example.com:443"}},
		{"skip verify towards a public vizier", map[string]string{"PIXIE_TLS_SKIP_VERIFY": "true", "PIXIE_DIRECT_ADDR": "203.0.113.9:51400"}, []string{"PIXIE_DIRECT_ADDR 203.0.113.9:51400 is not one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			_, err := Load()
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "px-api-s3cr3t-config") {
				t.Errorf("error leaks the API key: %q", err)
			}
		})
	}
}

// PIXIE_TLS_SKIP_VERIFY is taken for in-cluster addresses, as Pixie's own
// client takes it, and is then warned about in the log and -check-config.
func TestSkipVerifyInCluster(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		addr string
	}{
		{map[string]string{"PIXIE_API_KEY": "px-api-s3cr3t-config", "PIXIE_CLUSTER_ID": cluster, "PIXIE_CLOUD_ADDR": "vzconn-service.plc.svc.cluster.local:51600"}, "vzconn-service.plc.svc.cluster.local:51600"},
		{map[string]string{"PIXIE_DIRECT_ADDR": "vizier-query-broker-svc.pl.svc:50300"}, "vizier-query-broker-svc.pl.svc:50300"},
		{map[string]string{"PIXIE_DIRECT_ADDR": "vizier-query-broker-svc:50300"}, "vizier-query-broker-svc:50300"},
		{map[string]string{"PIXIE_DIRECT_ADDR": "10.0.0.7:50300"}, "10.0.0.7:50300"},
		{map[string]string{"PIXIE_DIRECT_ADDR": "[::1]:50300"}, "[::1]:50300"},
	} {
		env := merged(tc.env, map[string]string{"PIXIE_TLS_SKIP_VERIFY": "true"})
		out := printed(t, env)
		if !strings.Contains(out, "NOT verified") || !strings.Contains(out, "warning") || !strings.Contains(out, tc.addr) {
			t.Errorf("%s: -check-config does not warn about skipped verification:\n%s", tc.addr, out)
		}
		c, _ := Load()
		if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], tc.addr) {
			t.Errorf("%s: warnings %q", tc.addr, w)
		}
	}
	// Off, or on in demo mode (nothing is dialled over TLS), warns of nothing.
	for _, env := range []map[string]string{{"PIXIE_DIRECT_ADDR": "10.0.0.7:50300"}, {"PIXIE_TLS_SKIP_VERIFY": "true"}} {
		setEnv(t, env)
		c, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings(); len(w) != 0 {
			t.Errorf("%v: warnings %q", env, w)
		}
	}
}

func TestPrintRedactsSecrets(t *testing.T) {
	out := printed(t, map[string]string{"PIXIE_API_KEY": "px-api-s3cr3t-config", "PIXIE_CLUSTER_ID": cluster})
	if strings.Contains(out, "px-api-s3cr3t-config") {
		t.Errorf("printed config leaks the API key:\n%s", out)
	}
	for _, want := range []string{"(set, redacted)", "mode", "pixie cloud work.withpixie.ai:443", cluster, "PXGATE_MAX_ROWS"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed config lacks %q:\n%s", want, out)
		}
	}
}

func TestNormaliseAddr(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, def, want string }{
		{"work.withpixie.ai", "443", "work.withpixie.ai:443"},
		{"https://work.withpixie.ai", "443", "work.withpixie.ai:443"},
		{"https://cloud.local:8443/", "443", "cloud.local:8443"},
		{"10.0.0.1:51400", "", "10.0.0.1:51400"},
		{"[::1]:51400", "", "[::1]:51400"},
	}
	for _, tc := range tests {
		got, err := normaliseAddr(tc.in, tc.def)
		if err != nil || got != tc.want {
			t.Errorf("normaliseAddr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestAddressUserInfoIsNeverPrinted: a user:password@ in an address is
// redacted in every error and in -check-config's output, and messages name
// the variable the user set (PIXIE_SERVER_URL, not PIXIE_CLOUD_ADDR).
func TestAddressUserInfoIsNeverPrinted(t *testing.T) {
	const pw = "pw-s3cr3t-url"
	cloud := map[string]string{"PIXIE_API_KEY": "px-api-s3cr3t-config", "PIXIE_CLUSTER_ID": cluster}
	with := func(k, v string) map[string]string { return merged(cloud, map[string]string{k: v}) }
	invalid := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"server URL without a host", with("PIXIE_SERVER_URL", "https://admin:"+pw+"@"), "PIXIE_SERVER_URL: "},
		{"server URL with a bad port", with("PIXIE_SERVER_URL", "https://admin:"+pw+"@pixie.example.com:port"), "PIXIE_SERVER_URL: "},
		// url.Parse reads the host as "admin:443", a valid host:port.
		{"server URL, a password with a slash", with("PIXIE_SERVER_URL", "https://admin:443/"+pw+"@pixie.example.com"), "PIXIE_SERVER_URL: "},
		{"server address with user info", with("PIXIE_SERVER_URL", "admin:"+pw+"@pixie.example.com:443"), "PIXIE_SERVER_URL: "},
		{"cloud address with user info", with("PIXIE_CLOUD_ADDR", "admin:"+pw+"@pixie.example.com"), "PIXIE_CLOUD_ADDR: "},
		{"direct address with user info", map[string]string{"PIXIE_DIRECT_ADDR": "admin:" + pw + "@vizier:51400"}, "PIXIE_DIRECT_ADDR: "},
		{"direct URL with user info", map[string]string{"PIXIE_DIRECT_ADDR": "https://admin:" + pw + "@"}, "PIXIE_DIRECT_ADDR: "},
		{"listen address with user info", map[string]string{"PXGATE_LISTEN_ADDR": "admin:" + pw + "@0.0.0.0:8080"}, "PXGATE_LISTEN_ADDR: "},
		{"server URL with a direct address", map[string]string{"PIXIE_SERVER_URL": "https://admin:" + pw + "@pixie.example.com", "PIXIE_DIRECT_ADDR": "vizier:51400"},
			"PIXIE_DIRECT_ADDR and PIXIE_SERVER_URL are both set"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			_, err := Load()
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error leaks the password: %q", err)
			}
			if _, set := tc.env["PIXIE_SERVER_URL"]; set && strings.Contains(err.Error(), "PIXIE_CLOUD_ADDR") {
				t.Errorf("PIXIE_SERVER_URL was set, yet the error names PIXIE_CLOUD_ADDR: %q", err)
			}
		})
	}

	// Accepted: the URL's user info is dropped, and never printed.
	if out := printed(t, with("PIXIE_SERVER_URL", "https://admin:"+pw+"@pixie.example.com")); strings.Contains(out, pw) || strings.Contains(out, "admin") || !strings.Contains(out, "pixie.example.com:443") ||
		!strings.Contains(out, "PIXIE_SERVER_URL") || strings.Contains(out, "PIXIE_CLOUD_ADDR") {
		t.Errorf("printed config: want pixie.example.com:443 under PIXIE_SERVER_URL, no user info, no PIXIE_CLOUD_ADDR:\n%s", out)
	}
}

func TestRedactAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"pixie.example.com:443":                "pixie.example.com:443",
		"https://u:s3cr3t@pixie.example.com/x": "https://xxxxx@pixie.example.com/x",
		"https://s3cr3t@pixie.example.com":     "https://xxxxx@pixie.example.com",
		"u:s3cr3t@host:443":                    "xxxxx@host:443",
		"https://u:a@b/s3cr3t@host":            "https://xxxxx@host",
	} {
		if got := redactAddr(in); got != want {
			t.Errorf("redactAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTLSPairIsParsed: -check-config loads the serving key pair, so a
// mismatched or garbage pair is reported (naming both variables, showing
// no key material), not only a missing file.
func TestTLSPairIsParsed(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM, keyPEM, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	otherCert, _, err := fakevizier.SelfSignedPEM()
	if err != nil {
		t.Fatal(err)
	}
	cert, key := write("tls.crt", certPEM), write("tls.key", keyPEM)
	other := write("other.crt", otherCert)
	garbage := write("garbage.key", []byte("-----BEGIN PRIVATE KEY-----\nczNjcjN0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n"))
	base := map[string]string{"PIXIE_DIRECT_ADDR": "127.0.0.1:51400", "PIXIE_DIRECT_PLAINTEXT": "true"}
	env := func(cert, key string) map[string]string {
		m := map[string]string{"PXGATE_TLS_CERT_FILE": cert, "PXGATE_TLS_KEY_FILE": key}
		for k, v := range base {
			m[k] = v
		}
		return m
	}

	setEnv(t, env(cert, key))
	if _, err := Load(); err != nil {
		t.Fatalf("a good pair: %v", err)
	}
	for name, e := range map[string]map[string]string{
		"a key that is not the certificate's": env(other, key),
		"a garbage key":                       env(cert, garbage),
		"a key as the certificate":            env(key, key),
	} {
		t.Run(name, func(t *testing.T) {
			setEnv(t, e)
			_, err := Load()
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			msg := err.Error()
			for _, want := range []string{"PXGATE_TLS_CERT_FILE", "PXGATE_TLS_KEY_FILE", "not a usable key pair"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			for _, leak := range []string{"BEGIN", "czNjcjN0", string(keyPEM[40:80])} {
				if strings.Contains(msg, leak) {
					t.Errorf("error shows the files' contents (%q): %q", leak, msg)
				}
			}
		})
	}
}

// merged is base with extra's variables added (extra wins).
func merged(base, extra map[string]string) map[string]string {
	m := maps.Clone(base)
	maps.Copy(m, extra)
	return m
}

// printed is what -check-config prints for the environment env.
func printed(t *testing.T, env map[string]string) string {
	t.Helper()
	setEnv(t, env)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Print(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
