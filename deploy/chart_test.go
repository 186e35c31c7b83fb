package deploy

import (
	"maps"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pxgate/pxgate/config"
)

const testAPIKey = "px-api-00000000-0000-4000-8000-000000000000"

// renderCase is one set of values every chart invariant is checked against.
type renderCase struct {
	name string
	vals func(t *testing.T) map[string]any
}

func cases() []renderCase {
	return []renderCase{
		{"defaults", func(t *testing.T) map[string]any { return nil }},
		{"all-on", func(t *testing.T) map[string]any { return readValues(t, allOnValues) }},
		{"direct vizier", func(t *testing.T) map[string]any {
			return values(t, nil, map[string]any{
				"pixie.directAddr":      "vizier-proxy.pl.svc:51400",
				"pixie.directPlaintext": true,
				"networkPolicy.enabled": true,
			})
		}},
		{"existing secrets", func(t *testing.T) map[string]any {
			return values(t, nil, map[string]any{
				"pixie.existingSecret":    "pixie-credentials",
				"pixie.existingSecretKey": "api-key",
				"pixie.clusterID":         "7a1c2b3d-0000-4000-8000-00000000abcd",
				"auth.existingSecret":     "pxgate-callers",
				"auth.existingSecretKey":  "tokens.txt",
				"pixie.tls.caSecret":      "pixie-ca",
			})
		}},
	}
}

// TestChartInvariants checks, for every case, what must hold whatever the
// values: pod security, probes, ports, selectors, the API key's handling and
// the environment's names.
func TestChartInvariants(t *testing.T) {
	vars := configVars(t)
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			m := render(t, tc.vals(t))
			checkSecurity(t, m)
			checkProbesAndPorts(t, m)
			checkSelectors(t, m)
			checkNames(t, m)
			checkTermination(t, m)

			for name, e := range m.env(t) {
				if _, ok := vars[name]; !ok {
					t.Errorf("the chart sets %s, which config.Config does not read (a typo, or a renamed variable)", name)
				}
				if name == "PIXIE_API_KEY" {
					if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						t.Errorf("PIXIE_API_KEY must come from a secretKeyRef, got %+v", e)
					}
				}
				if strings.Contains(e.Value, testAPIKey) {
					t.Errorf("env %s carries the API key in plain text", name)
				}
			}
			if strings.Contains(m.Notes, testAPIKey) {
				t.Error("NOTES.txt prints the API key")
			}
			for _, want := range []string{"port-forward", "/v1/run", "Content-Type: application/json"} {
				if !strings.Contains(m.Notes, want) {
					t.Errorf("NOTES.txt lacks %q:\n%s", want, m.Notes)
				}
			}

			// The environment parses into config.Config: a duration without a
			// unit or a non-numeric limit would stop pxgate at start-up.
			setEnv(t, vars, resolvedEnv(t, m))
			var c config.Config
			if err := envconfig.Process("", &c); err != nil {
				t.Errorf("the chart's environment does not parse: %v", err)
			}
		})
	}
}

func checkSecurity(t *testing.T, m *manifests) {
	t.Helper()
	pod := m.Deployment.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil {
		t.Fatal("pod has no securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod: runAsNonRoot is not true")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("pod: runAsUser = %v, want 65532 (distroless nonroot)", psc.RunAsUser)
	}
	if psc.FSGroup == nil || *psc.FSGroup != 65532 {
		t.Errorf("pod: fsGroup = %v, want 65532", psc.FSGroup)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod: seccompProfile = %+v, want RuntimeDefault", psc.SeccompProfile)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("pod mounts a service account token; pxgate calls no Kubernetes API")
	}
	c := m.container(t)
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("container has no securityContext")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container: readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container: allowPrivilegeEscalation is not false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("container is privileged")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container: capabilities = %+v, want drop [ALL] and no add", sc.Capabilities)
	}
	if sc.RunAsUser != nil && *sc.RunAsUser != 65532 {
		t.Errorf("container: runAsUser = %d, want 65532", *sc.RunAsUser)
	}
	for _, vm := range c.VolumeMounts {
		if !vm.ReadOnly {
			t.Errorf("volume %s is mounted writable", vm.Name)
		}
	}
}

func checkProbesAndPorts(t *testing.T, m *manifests) {
	t.Helper()
	c := m.container(t)
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Fatalf("container ports = %+v, want one TCP port named http", c.Ports)
	}
	env := m.env(t)
	_, port, err := net.SplitHostPort(env["PXGATE_LISTEN_ADDR"].Value)
	if err != nil || port != strconv.Itoa(int(c.Ports[0].ContainerPort)) {
		t.Errorf("PXGATE_LISTEN_ADDR %q does not listen on containerPort %d", env["PXGATE_LISTEN_ADDR"].Value, c.Ports[0].ContainerPort)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
		{"startup", c.StartupProbe, "/healthz"},
	} {
		if p.probe == nil {
			if p.name != "startup" {
				t.Errorf("no %s probe", p.name)
			}
			continue
		}
		g := p.probe.HTTPGet
		if g == nil || g.Path != p.path || g.Port != intstr.FromString("http") {
			t.Errorf("%s probe = %+v, want GET %s on port http", p.name, g, p.path)
		}
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("container needs memory requests and limits, got %+v", c.Resources)
	}

	svc := m.Service
	if svc == nil {
		t.Fatal("no Service rendered")
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("Service ports = %+v, want http -> targetPort http", svc.Spec.Ports)
	}
}

// checkSelectors: everything that selects pods selects exactly the
// Deployment's pods, and the Deployment's selector matches its template.
func checkSelectors(t *testing.T, m *manifests) {
	t.Helper()
	d := m.Deployment
	sel := d.Spec.Selector.MatchLabels
	if len(sel) == 0 {
		t.Fatal("Deployment has no selector")
	}
	for k, v := range sel {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("pod template lacks selector label %s=%s", k, v)
		}
	}
	if m.Service != nil && !maps.Equal(m.Service.Spec.Selector, sel) {
		t.Errorf("Service selector %v != Deployment selector %v", m.Service.Spec.Selector, sel)
	}
	if m.PDB != nil && !maps.Equal(m.PDB.Spec.Selector.MatchLabels, sel) {
		t.Errorf("PDB selector %v != Deployment selector %v", m.PDB.Spec.Selector.MatchLabels, sel)
	}
	if m.NetworkPolicy != nil && !maps.Equal(m.NetworkPolicy.Spec.PodSelector.MatchLabels, sel) {
		t.Errorf("NetworkPolicy podSelector %v != Deployment selector %v", m.NetworkPolicy.Spec.PodSelector.MatchLabels, sel)
	}
	if m.ServiceMonitor != nil && !maps.Equal(m.ServiceMonitor.Spec.Selector.MatchLabels, sel) {
		t.Errorf("ServiceMonitor selector %v != Service labels %v", m.ServiceMonitor.Spec.Selector.MatchLabels, sel)
	}
	if m.Service != nil {
		for k, v := range sel {
			if m.Service.Labels[k] != v {
				t.Errorf("Service lacks label %s=%s that the ServiceMonitor selects it by", k, v)
			}
		}
	}
	if m.ServiceAccount != nil && d.Spec.Template.Spec.ServiceAccountName != m.ServiceAccount.Name {
		t.Errorf("pods run as %q, the chart's ServiceAccount is %q", d.Spec.Template.Spec.ServiceAccountName, m.ServiceAccount.Name)
	}
}

// checkNames: names and labels are valid for the API server.
func checkNames(t *testing.T, m *manifests) {
	t.Helper()
	type named struct {
		kind, name string
		labels     map[string]string
	}
	var objs []named
	add := func(kind, name string, labels map[string]string) { objs = append(objs, named{kind, name, labels}) }
	add("Deployment", m.Deployment.Name, m.Deployment.Labels)
	add("pod template", "pod", m.Deployment.Spec.Template.Labels)
	if m.Service != nil {
		add("Service", m.Service.Name, m.Service.Labels)
		for _, msg := range validation.IsDNS1035Label(m.Service.Name) {
			t.Errorf("Service name %q: %s", m.Service.Name, msg)
		}
	}
	if m.ServiceAccount != nil {
		add("ServiceAccount", m.ServiceAccount.Name, m.ServiceAccount.Labels)
	}
	if m.Secret != nil {
		add("Secret", m.Secret.Name, m.Secret.Labels)
	}
	if m.ConfigMap != nil {
		add("ConfigMap", m.ConfigMap.Name, m.ConfigMap.Labels)
		for k := range m.ConfigMap.Data {
			for _, msg := range validation.IsConfigMapKey(k) {
				t.Errorf("ConfigMap key %q: %s", k, msg)
			}
		}
	}
	if m.PDB != nil {
		add("PodDisruptionBudget", m.PDB.Name, m.PDB.Labels)
	}
	if m.HPA != nil {
		add("HorizontalPodAutoscaler", m.HPA.Name, m.HPA.Labels)
	}
	if m.NetworkPolicy != nil {
		add("NetworkPolicy", m.NetworkPolicy.Name, m.NetworkPolicy.Labels)
	}
	if m.ServiceMonitor != nil {
		add("ServiceMonitor", m.ServiceMonitor.Name, m.ServiceMonitor.Labels)
	}
	for _, o := range objs {
		if o.kind != "pod template" {
			for _, msg := range validation.IsDNS1123Subdomain(o.name) {
				t.Errorf("%s name %q: %s", o.kind, o.name, msg)
			}
		}
		for k, v := range o.labels {
			for _, msg := range validation.IsQualifiedName(k) {
				t.Errorf("%s label key %q: %s", o.kind, k, msg)
			}
			for _, msg := range validation.IsValidLabelValue(v) {
				t.Errorf("%s label %s value %q: %s", o.kind, k, v, msg)
			}
		}
	}
}

// checkTermination: Kubernetes must not kill a pod that is still draining
// (preStop sleep, then PXGATE_SHUTDOWN_DELAY, then PXGATE_SHUTDOWN_GRACE).
func checkTermination(t *testing.T, m *manifests) {
	t.Helper()
	pod := m.Deployment.Spec.Template.Spec
	var drain time.Duration
	for _, name := range []string{"PXGATE_SHUTDOWN_DELAY", "PXGATE_SHUTDOWN_GRACE"} {
		d, err := time.ParseDuration(m.env(t)[name].Value)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		drain += d
	}
	if l := m.container(t).Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
		drain += time.Duration(l.PreStop.Sleep.Seconds) * time.Second
	}
	if pod.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds")
	}
	if got := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; got <= drain {
		t.Errorf("terminationGracePeriodSeconds %s does not exceed the drain time %s", got, drain)
	}
}

// TestDefaults: the default install is small (no Secret, scripts or optional
// objects) and sets exactly the server's own defaults.
func TestDefaults(t *testing.T) {
	m := render(t, nil)
	if want := []string{"Deployment", "Service", "ServiceAccount"}; !slices.Equal(m.Kinds, want) {
		t.Errorf("default objects = %v, want %v", m.Kinds, want)
	}
	if r := m.Deployment.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("replicas = %v, want 2", r)
	}
	if m.Service.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Service type = %s, want ClusterIP", m.Service.Spec.Type)
	}
	env := m.env(t)
	for _, name := range []string{"PIXIE_API_KEY", "PXGATE_SCRIPTS_DIR", "PXGATE_AUTH_TOKENS_FILE", "PIXIE_TLS_CA_FILE"} {
		if _, ok := env[name]; ok {
			t.Errorf("default values set %s", name)
		}
	}
	if v := m.Deployment.Spec.Template.Spec.Volumes; len(v) != 0 {
		t.Errorf("default values mount volumes: %+v", v)
	}

	// What the chart sets by default must be what pxgate would use with
	// nothing set: values.yaml and config.go agree.
	vars := configVars(t)
	setEnv(t, vars, nil)
	var builtIn config.Config
	if err := envconfig.Process("", &builtIn); err != nil {
		t.Fatal(err)
	}
	setEnv(t, vars, resolvedEnv(t, m))
	var fromChart config.Config
	if err := envconfig.Process("", &fromChart); err != nil {
		t.Fatal(err)
	}
	// The one deliberate difference: in a cluster, endpoints need a few
	// seconds to drop a terminating pod, so the chart keeps serving after
	// SIGTERM; a bare process has nobody to wait for.
	if fromChart.ShutdownDelay != 5*time.Second {
		t.Errorf("chart PXGATE_SHUTDOWN_DELAY = %s, want 5s", fromChart.ShutdownDelay)
	}
	builtIn.ShutdownDelay = fromChart.ShutdownDelay
	if !reflect.DeepEqual(builtIn, fromChart) {
		t.Errorf("chart defaults differ from config.go's:\n chart:  %+v\n config: %+v", fromChart, builtIn)
	}

	// With Pixie Cloud credentials, the defaults are a configuration pxgate starts with.
	m = render(t, values(t, nil, map[string]any{
		"pixie.apiKey":    testAPIKey,
		"pixie.clusterID": "7a1c2b3d-0000-4000-8000-00000000abcd",
	}))
	setEnv(t, vars, resolvedEnv(t, m))
	if _, err := config.Load(); err != nil {
		t.Errorf("default values with an API key and cluster id: pxgate refuses the configuration: %v", err)
	}
}

// TestAllOn: every optional object renders, wired to the others.
func TestAllOn(t *testing.T) {
	vals := readValues(t, allOnValues)
	m := render(t, vals)
	want := []string{"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget",
		"Secret", "Service", "ServiceAccount", "ServiceMonitor"}
	if !slices.Equal(m.Kinds, want) {
		t.Fatalf("objects = %v, want %v", m.Kinds, want)
	}
	d := m.Deployment
	pod := d.Spec.Template.Spec
	c := m.container(t)
	env := m.env(t)

	if d.Spec.Replicas != nil {
		t.Errorf("replicas = %d with the HPA on; the HPA owns it", *d.Spec.Replicas)
	}
	if m.HPA.Spec.ScaleTargetRef.Kind != "Deployment" || m.HPA.Spec.ScaleTargetRef.Name != d.Name {
		t.Errorf("HPA targets %+v, want Deployment %s", m.HPA.Spec.ScaleTargetRef, d.Name)
	}
	if len(m.HPA.Spec.Metrics) != 2 {
		t.Errorf("HPA metrics = %d, want cpu and memory", len(m.HPA.Spec.Metrics))
	}
	if m.PDB.Spec.MaxUnavailable == nil || m.PDB.Spec.MaxUnavailable.IntValue() != 1 || m.PDB.Spec.MinAvailable != nil {
		t.Errorf("PDB = %+v, want maxUnavailable 1 only", m.PDB.Spec)
	}

	// API key: from the chart's Secret, by reference.
	ref := env["PIXIE_API_KEY"].ValueFrom.SecretKeyRef
	if ref.Name != m.Secret.Name || string(m.Secret.Data[ref.Key]) != testAPIKey {
		t.Errorf("PIXIE_API_KEY refers to %s/%s, which does not hold the key", ref.Name, ref.Key)
	}

	// Tokens: a file from the same Secret, one token a line.
	tokensFile := env["PXGATE_AUTH_TOKENS_FILE"].Value
	tokensVol := volumeAt(t, pod, c, tokensFile)
	if tokensVol.Secret == nil || tokensVol.Secret.SecretName != m.Secret.Name {
		t.Fatalf("PXGATE_AUTH_TOKENS_FILE %s is not on the chart's Secret: %+v", tokensFile, tokensVol)
	}
	if got := string(m.Secret.Data["auth-tokens"]); got != "ci-token-one\nci-token-two\n" {
		t.Errorf("tokens file = %q", got)
	}

	// Scripts: a ConfigMap mounted where PXGATE_SCRIPTS_DIR points.
	scriptsDir := env["PXGATE_SCRIPTS_DIR"].Value
	scriptsVol := volumeAt(t, pod, c, scriptsDir+"/x.pxl")
	if scriptsVol.ConfigMap == nil || scriptsVol.ConfigMap.Name != m.ConfigMap.Name {
		t.Fatalf("PXGATE_SCRIPTS_DIR %s is not the scripts ConfigMap: %+v", scriptsDir, scriptsVol)
	}
	if got := slices.Sorted(maps.Keys(m.ConfigMap.Data)); !slices.Equal(got, []string{"error_rate.pxl", "http_latency.pxl"}) {
		t.Errorf("script files = %v", got)
	}
	if src := m.ConfigMap.Data["http_latency.pxl"]; !strings.HasPrefix(src, "import px\n") || !strings.HasSuffix(src, "px.display(df, \"output\")\n") {
		t.Errorf("script source mangled: %q", src)
	}

	// Serving TLS: the Secret's pair where the variables point, HTTPS probes.
	for _, name := range []string{"PXGATE_TLS_CERT_FILE", "PXGATE_TLS_KEY_FILE"} {
		if v := volumeAt(t, pod, c, env[name].Value); v.Secret == nil || v.Secret.SecretName != "pxgate-serving-tls" {
			t.Errorf("%s %s is not on Secret pxgate-serving-tls: %+v", name, env[name].Value, v)
		}
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("%s probe is not HTTPS: %+v", name, p)
		}
	}

	// CA bundle from a ConfigMap.
	caVol := volumeAt(t, pod, c, env["PIXIE_TLS_CA_FILE"].Value)
	if caVol.ConfigMap == nil || caVol.ConfigMap.Name != "pixie-ca" {
		t.Errorf("PIXIE_TLS_CA_FILE is not on ConfigMap pixie-ca: %+v", caVol)
	}

	// Pods roll when the Secret or the scripts change.
	for _, k := range []string{"checksum/secret", "checksum/scripts"} {
		if len(d.Spec.Template.Annotations[k]) != 64 {
			t.Errorf("pod annotation %s = %q, want a sha256", k, d.Spec.Template.Annotations[k])
		}
	}
	changed := render(t, values(t, vals, map[string]any{"scripts.http_latency": "import px\npx.display(px.DataFrame('http_events'))\n"}))
	if changed.Deployment.Spec.Template.Annotations["checksum/scripts"] == d.Spec.Template.Annotations["checksum/scripts"] {
		t.Error("changing a script does not change the pod template: pods would keep the old one")
	}

	sm := m.ServiceMonitor
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints = %+v, want port http path /metrics", sm.Spec.Endpoints)
	} else if ep := sm.Spec.Endpoints[0]; ep.Scheme != "https" || ep.TLSConfig["serverName"] != "pxgate.default.svc" {
		t.Errorf("ServiceMonitor endpoint scheme %q, tlsConfig %v; want https with the values' tlsConfig", ep.Scheme, ep.TLSConfig)
	}
	if sm.Namespace != "monitoring" || !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{namespace}) {
		t.Errorf("ServiceMonitor in %q selecting %v, want monitoring selecting %s", sm.Namespace, sm.Spec.NamespaceSelector.MatchNames, namespace)
	}
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor lacks the Prometheus selector label: %v", sm.Labels)
	}

	np := m.NetworkPolicy.Spec
	if len(np.Ingress) != 1 || len(np.Ingress[0].From) != 2 || len(np.Ingress[0].Ports) != 1 || np.Ingress[0].Ports[0].Port.IntValue() != 8080 {
		t.Errorf("NetworkPolicy ingress = %+v, want port 8080 from the two configured peers", np.Ingress)
	}
	if got := egressPorts(m); !slices.Equal(got, []string{"TCP/443", "TCP/53", "TCP/8443", "UDP/53"}) {
		t.Errorf("egress ports = %v, want DNS, 443 and the cloud's 8443", got)
	}
}

// volumeAt returns the volume mounted at the directory holding path.
func volumeAt(t *testing.T, pod corev1.PodSpec, c corev1.Container, path string) corev1.Volume {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		if strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			for _, v := range pod.Volumes {
				if v.Name == vm.Name {
					p := strings.TrimPrefix(path, vm.MountPath+"/")
					if v.Secret != nil && len(v.Secret.Items) > 0 && !slices.ContainsFunc(v.Secret.Items, func(k corev1.KeyToPath) bool { return k.Path == p }) {
						t.Errorf("volume %s holds %+v, not %s", v.Name, v.Secret.Items, p)
					}
					return v
				}
			}
			t.Fatalf("mount %s has no volume", vm.Name)
		}
	}
	t.Fatalf("nothing is mounted at %s", path)
	return corev1.Volume{}
}

func egressPorts(m *manifests) []string {
	var out []string
	for _, rule := range m.NetworkPolicy.Spec.Egress {
		for _, p := range rule.Ports {
			out = append(out, string(*p.Protocol)+"/"+p.Port.String())
		}
	}
	slices.Sort(out)
	return out
}

func TestDirectVizier(t *testing.T) {
	m := render(t, cases()[2].vals(t))
	env := m.env(t)
	if env["PIXIE_DIRECT_ADDR"].Value != "vizier-proxy.pl.svc:51400" || env["PIXIE_DIRECT_PLAINTEXT"].Value != "true" {
		t.Errorf("direct mode env = %v", env)
	}
	if _, ok := env["PIXIE_API_KEY"]; ok {
		t.Error("PIXIE_API_KEY set without a key")
	}
	if m.Secret != nil {
		t.Error("a Secret rendered with nothing secret to hold")
	}
	if got := egressPorts(m); !slices.Equal(got, []string{"TCP/443", "TCP/51400", "TCP/53", "UDP/53"}) {
		t.Errorf("egress ports = %v, want DNS, 443 and the Vizier's 51400", got)
	}
	if len(m.NetworkPolicy.Spec.Ingress[0].From) != 0 {
		t.Error("ingress peers rendered with none configured")
	}
}

func TestExistingSecrets(t *testing.T) {
	m := render(t, cases()[3].vals(t))
	if m.Secret != nil {
		t.Errorf("the chart created a Secret although both secrets exist: %+v", m.Secret.ObjectMeta)
	}
	env := m.env(t)
	if ref := env["PIXIE_API_KEY"].ValueFrom.SecretKeyRef; ref.Name != "pixie-credentials" || ref.Key != "api-key" {
		t.Errorf("PIXIE_API_KEY refers to %s/%s, want pixie-credentials/api-key", ref.Name, ref.Key)
	}
	pod, c := m.Deployment.Spec.Template.Spec, m.container(t)
	if v := volumeAt(t, pod, c, env["PXGATE_AUTH_TOKENS_FILE"].Value); v.Secret == nil || v.Secret.SecretName != "pxgate-callers" {
		t.Errorf("tokens volume = %+v, want Secret pxgate-callers", v)
	}
	if v := volumeAt(t, pod, c, env["PIXIE_TLS_CA_FILE"].Value); v.Secret == nil || v.Secret.SecretName != "pixie-ca" {
		t.Errorf("CA volume = %+v, want Secret pixie-ca", v)
	}
	if !strings.HasSuffix(env["PXGATE_AUTH_TOKENS_FILE"].Value, "/tokens.txt") {
		t.Errorf("PXGATE_AUTH_TOKENS_FILE = %s, want the existingSecretKey as file name", env["PXGATE_AUTH_TOKENS_FILE"].Value)
	}
}

// TestEveryVariableIsSettable: between them, the cases set every variable
// config.Config reads, except the seed's alias for PIXIE_CLOUD_ADDR.
func TestEveryVariableIsSettable(t *testing.T) {
	notInChart := map[string]string{"PIXIE_SERVER_URL": "older name of PIXIE_CLOUD_ADDR (pixie.cloudAddr)"}
	set := map[string]bool{}
	for _, tc := range cases() {
		for name := range render(t, tc.vals(t)).env(t) {
			set[name] = true
		}
	}
	for name := range configVars(t) {
		if !set[name] && notInChart[name] == "" {
			t.Errorf("config.Config reads %s but no chart value sets it", name)
		}
	}
}

func TestTerminationGrace(t *testing.T) {
	for _, tc := range []struct {
		delay    string
		grace    string
		preStop  int
		explicit int
		want     int64
	}{
		{"5s", "20s", 0, 0, 35},
		{"0s", "20s", 0, 0, 30},
		{"0s", "1m30s", 5, 0, 105},
		{"500ms", "1500ms", 0, 0, 13},
		{"0s", "20s", 5, 26, 26},
		{"5s", "20s", 0, 26, 26},
	} {
		m := render(t, values(t, nil, map[string]any{
			"gateway.shutdownDelay":         tc.delay,
			"gateway.shutdownGrace":         tc.grace,
			"preStopSleepSeconds":           tc.preStop,
			"terminationGracePeriodSeconds": tc.explicit,
		}))
		if got := *m.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; got != tc.want {
			t.Errorf("shutdownDelay %s, shutdownGrace %s, preStop %d, set %d: terminationGracePeriodSeconds = %d, want %d",
				tc.delay, tc.grace, tc.preStop, tc.explicit, got, tc.want)
		}
	}
}

// TestRefusedValues: settings pxgate would refuse at start-up are refused
// when the chart renders.
func TestRefusedValues(t *testing.T) {
	for name, overrides := range map[string]map[string]any{
		"cloud and direct":           {"pixie.cloudAddr": "pixie.example.com:443", "pixie.directAddr": "vizier:51400"},
		"plaintext without direct":   {"pixie.directPlaintext": true},
		"two CA sources":             {"pixie.tls.caConfigMap": "a", "pixie.tls.caSecret": "b"},
		"grace shorter than drain":   {"terminationGracePeriodSeconds": 20},
		"autoscaling with no target": {"autoscaling.enabled": true, "autoscaling.targetCPUUtilizationPercentage": nil},
	} {
		if _, err := renderRaw(t, values(t, nil, overrides)); err == nil {
			t.Errorf("%s: rendered without error", name)
		}
	}
}

// TestServiceMonitorOverHTTPSNeedsTLSConfig: with HTTPS serving, a
// ServiceMonitor without tlsConfig would scrape https with no CA and fail
// verification against a private CA: the chart refuses it, saying what to set.
func TestServiceMonitorOverHTTPSNeedsTLSConfig(t *testing.T) {
	https := map[string]any{"gateway.tls.secretName": "pxgate-serving-tls", "serviceMonitor.enabled": true}
	_, err := renderRaw(t, values(t, nil, https))
	if err == nil {
		t.Fatal("an https ServiceMonitor without tlsConfig rendered")
	}
	for _, want := range []string{"serviceMonitor.tlsConfig", "ca", "insecureSkipVerify"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %q: %v", want, err)
		}
	}
	for name, tlsConfig := range map[string]map[string]any{
		"a CA":                  {"ca": map[string]any{"secret": map[string]any{"name": "pxgate-serving-tls", "key": "ca.crt"}}},
		"no verification, said": {"insecureSkipVerify": true},
	} {
		vals := values(t, nil, https)
		vals["serviceMonitor"].(map[string]any)["tlsConfig"] = tlsConfig
		m := render(t, vals)
		if ep := m.ServiceMonitor.Spec.Endpoints; len(ep) != 1 || ep[0].Scheme != "https" || len(ep[0].TLSConfig) == 0 {
			t.Errorf("%s: ServiceMonitor endpoints %+v, want https with the tlsConfig", name, ep)
		}
	}
	// Plain HTTP needs no tlsConfig.
	if _, err := renderRaw(t, values(t, nil, map[string]any{"serviceMonitor.enabled": true})); err != nil {
		t.Errorf("an http ServiceMonitor: %v", err)
	}
}

// TestSchema: values.schema.json accepts both values files and rejects
// wrong types, unknown keys and values pxgate would refuse.
func TestSchema(t *testing.T) {
	c := loadChart(t)
	validate := func(vals map[string]any) error {
		coalesced, err := chartutil.CoalesceValues(c, vals)
		if err != nil {
			t.Fatal(err)
		}
		return chartutil.ValidateAgainstSchema(c, coalesced)
	}
	if err := validate(nil); err != nil {
		t.Errorf("default values: %v", err)
	}
	if err := validate(readValues(t, allOnValues)); err != nil {
		t.Errorf("all-on values: %v", err)
	}
	for name, overrides := range map[string]map[string]any{
		"replicaCount string":     {"replicaCount": "x"},
		"unknown top-level key":   {"replicas": 3},
		"unknown nested key":      {"gateway.listenAddr": ":9090"},
		"pull policy":             {"image.pullPolicy": "Sometimes"},
		"log level":               {"gateway.logLevel": "verbose"},
		"log format":              {"gateway.logFormat": "yaml"},
		"demo":                    {"gateway.demo": "maybe"},
		"e2e encryption":          {"pixie.e2eEncryption": "yes"},
		"duration without unit":   {"gateway.queryTimeout": "60"},
		"cluster id":              {"pixie.clusterID": "prod"},
		"allowed cluster":         {"gateway.allowedClusters": []any{"prod"}},
		"tiny recv size":          {"pixie.maxRecvMiB": 1},
		"tiny body":               {"gateway.maxBodyBytes": 10},
		"port":                    {"gateway.port": 70000},
		"token with space":        {"auth.tokens": []any{"a b"}},
		"script file name":        {"scripts": map[string]any{"../etc/passwd": "x"}},
		"boolean as string":       {"gateway.allowInline": "yes"},
		"service type":            {"service.type": "ExternalName"},
		"relative scripts dir":    {"gateway.scriptsDir": "scripts"},
		"secret name":             {"pixie.existingSecret": "Not_A_Name"},
		"pdb percentage":          {"podDisruptionBudget.minAvailable": "half"},
		"scrape interval":         {"serviceMonitor.interval": "often"},
		"egress port":             {"networkPolicy.egress.ports": []any{0}},
		"probe field":             {"livenessProbe.path": "/"},
		"resources unknown field": {"resources.requets": map[string]any{"cpu": "1"}},
	} {
		if err := validate(values(t, nil, overrides)); err == nil {
			t.Errorf("%s: %v accepted", name, overrides)
		}
	}
}

// TestHelmLintStrict runs `helm lint --strict` in-process: any warning fails.
func TestHelmLintStrict(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range map[string]map[string]any{
		"defaults": {},
		"all-on":   readValues(t, allOnValues),
	} {
		linter := lint.AllWithKubeVersion(chartDir, vals, namespace, kv)
		for _, msg := range linter.Messages {
			if msg.Severity >= support.WarningSev {
				t.Errorf("%s: %s", name, msg)
			}
		}
	}
}

func TestKubeVersion(t *testing.T) {
	c := loadChart(t)
	for _, v := range []string{"v1.23.0", kubeVersion, "v1.35.0"} {
		if !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, v) {
			t.Errorf("kubeVersion %q excludes Kubernetes %s", c.Metadata.KubeVersion, v)
		}
	}
	if c.Metadata.APIVersion != "v2" || c.Metadata.AppVersion == "" {
		t.Errorf("Chart.yaml: apiVersion %q appVersion %q", c.Metadata.APIVersion, c.Metadata.AppVersion)
	}
	// Helm built by `go install` (as this module links it) assumes
	// Kubernetes v1.20.0 when no cluster is asked (helm template), which
	// the chart refuses: the README says so and shows --kube-version.
	def := chartutil.DefaultCapabilities.KubeVersion.Version
	if chartutil.IsCompatibleRange(c.Metadata.KubeVersion, def) {
		t.Errorf("kubeVersion %q now accepts Helm's default %s: the README's `helm template --kube-version` section is stale", c.Metadata.KubeVersion, def)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"assumes **" + def + "**", "--kube-version 1.31.0", `kubeVersion: "` + c.Metadata.KubeVersion + `"`} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
}
