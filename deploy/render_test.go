package deploy

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/yaml"

	"github.com/pxgate/pxgate/config"
)

const (
	chartDir      = "helm/pxgate"
	allOnValues   = "helm/pxgate/ci/all-on-values.yaml"
	releaseName   = "rel"
	namespace     = "pxgate"
	kubeVersion   = "v1.31.0"
	containerName = "pxgate"
)

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor the
// chart writes; decoding is strict, so a field outside it fails the test.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Scheme        string `json:"scheme"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
			// TLSConfig is passed through from values (a SafeTLSConfig).
			TLSConfig map[string]any `json:"tlsConfig,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// DeepCopyObject makes serviceMonitor a runtime.Object for the decoder.
func (s *serviceMonitor) DeepCopyObject() runtime.Object {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	out := &serviceMonitor{}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

// manifests is one rendering of the chart, decoded. Each kind appears at most
// once (the chart renders one of each).
type manifests struct {
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
	ServiceAccount *corev1.ServiceAccount
	Secret         *corev1.Secret
	ConfigMap      *corev1.ConfigMap
	PDB            *policyv1.PodDisruptionBudget
	HPA            *autoscalingv2.HorizontalPodAutoscaler
	NetworkPolicy  *networkingv1.NetworkPolicy
	ServiceMonitor *serviceMonitor
	Notes          string
	Kinds          []string // sorted
}

func (m *manifests) container(t *testing.T) corev1.Container {
	t.Helper()
	if m.Deployment == nil {
		t.Fatal("no Deployment rendered")
	}
	cs := m.Deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != containerName {
		t.Fatalf("want one container %q, got %d", containerName, len(cs))
	}
	return cs[0]
}

// env returns the container's environment by name; a name set twice fails.
func (m *manifests) env(t *testing.T) map[string]corev1.EnvVar {
	t.Helper()
	out := map[string]corev1.EnvVar{}
	for _, e := range m.container(t).Env {
		if _, dup := out[e.Name]; dup {
			t.Errorf("env %s is set twice", e.Name)
		}
		out[e.Name] = e
	}
	return out
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return c
}

func capabilities(t *testing.T) *chartutil.Capabilities {
	t.Helper()
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	return caps
}

func readValues(t *testing.T, path string) map[string]any {
	t.Helper()
	v, err := chartutil.ReadValuesFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return v.AsMap()
}

// values builds user values from a base (nil: none) and dotted-path overrides.
func values(t *testing.T, base map[string]any, overrides map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	if base != nil {
		b, err := yaml.Marshal(base)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	}
	for path, v := range overrides {
		keys := strings.Split(path, ".")
		m := out
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
	return out
}

// renderRaw renders the chart as `helm install` would, validating the values
// against values.schema.json on the way.
func renderRaw(t *testing.T, vals map[string]any) (map[string]string, error) {
	t.Helper()
	c := loadChart(t)
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(c, vals, opts, capabilities(t))
	if err != nil {
		return nil, err
	}
	return engine.Render(c, rv)
}

// render renders the chart and decodes every manifest strictly into its
// Kubernetes API type: an unknown or misspelt field fails the test.
func render(t *testing.T, vals map[string]any) *manifests {
	t.Helper()
	files, err := renderRaw(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	m := &manifests{}
	dec := newDecoder(t)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		content := files[name]
		base := filepath.Base(name)
		switch {
		case base == "NOTES.txt":
			m.Notes = content
			continue
		case strings.HasPrefix(base, "_"):
			continue
		case filepath.Ext(base) != ".yaml":
			t.Errorf("%s: template is not .yaml", name)
			continue
		}
		for _, doc := range releaseutil.SplitManifests(content) {
			if isBlank(doc) {
				continue
			}
			decode(t, dec, name, doc, m)
		}
	}
	slices.Sort(m.Kinds)
	return m
}

func isBlank(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// newDecoder decodes YAML the way the API server does with strict field
// validation: an unknown, duplicated or wrongly capitalised field is an error
// (encoding/json alone would accept "readOnlyRootFileSystem").
func newDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	s.AddKnownTypeWithName(schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}, &serviceMonitor{})
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, s, s, kjson.SerializerOptions{Yaml: true, Strict: true})
}

func decode(t *testing.T, dec runtime.Decoder, file, doc string, m *manifests) {
	t.Helper()
	obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
	if err != nil {
		t.Fatalf("%s: does not decode strictly: %v\n%s", file, err, doc)
	}
	if slices.Contains(m.Kinds, gvk.Kind) {
		t.Fatalf("%s: a second %s", file, gvk.Kind)
	}
	m.Kinds = append(m.Kinds, gvk.Kind)
	switch o := obj.(type) {
	case *appsv1.Deployment:
		m.Deployment = o
	case *corev1.Service:
		m.Service = o
	case *corev1.ServiceAccount:
		m.ServiceAccount = o
	case *corev1.Secret:
		m.Secret = o
	case *corev1.ConfigMap:
		m.ConfigMap = o
	case *policyv1.PodDisruptionBudget:
		m.PDB = o
	case *autoscalingv2.HorizontalPodAutoscaler:
		m.HPA = o
	case *networkingv1.NetworkPolicy:
		m.NetworkPolicy = o
	case *serviceMonitor:
		m.ServiceMonitor = o
	default:
		t.Fatalf("%s: unexpected object %s", file, gvk)
	}
}

// configVars returns the environment variables config.Config reads, from its
// envconfig tags, with the Go type each one parses into.
func configVars(t *testing.T) map[string]reflect.Type {
	t.Helper()
	out := map[string]reflect.Type{}
	typ := reflect.TypeFor[config.Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Tag.Get("ignored") == "true" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("envconfig"), ",")
		if name == "" {
			t.Fatalf("config.Config.%s has no envconfig tag: the chart cannot know its variable", f.Name)
		}
		out[name] = f.Type
	}
	if len(out) == 0 {
		t.Fatal("no envconfig tags found in config.Config")
	}
	return out
}

// resolvedEnv returns the container's environment as the kubelet would give
// it to pxgate: plain values, and secretKeyRefs resolved from the Secret the
// chart rendered (or a placeholder for an existing Secret).
func resolvedEnv(t *testing.T, m *manifests) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, e := range m.env(t) {
		switch {
		case e.ValueFrom == nil:
			out[name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if m.Secret != nil && m.Secret.Name == ref.Name {
				v, ok := m.Secret.Data[ref.Key]
				if !ok {
					t.Fatalf("env %s: Secret %s has no key %q", name, ref.Name, ref.Key)
				}
				out[name] = string(v)
			} else {
				out[name] = "from-existing-secret-" + ref.Name
			}
		default:
			t.Fatalf("env %s: unexpected valueFrom %+v", name, e.ValueFrom)
		}
	}
	return out
}

// setEnv makes the process environment exactly env as far as the
// configuration's variables go (restored when the test ends).
func setEnv(t *testing.T, vars map[string]reflect.Type, env map[string]string) {
	t.Helper()
	for name := range vars {
		t.Setenv(name, "")
		if v, ok := env[name]; ok {
			t.Setenv(name, v)
		} else if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}
