package app

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// configVars are the environment variables regbot reads (and --help documents).
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	vars := map[string]bool{}
	for _, n := range SettingNames() {
		vars[n] = true
	}
	return vars
}

// TestKubernetesManifests decodes every manifest in deploy/k8s into its
// k8s.io/api type with unknown fields refused (a misspelt or misplaced
// field fails), then checks what the operations brief requires: webhook
// mode with at least two replicas, probes on /readyz and /healthz,
// resources, a non-root read-only container, the Secret and ConfigMap
// holding only documented variables, and a migration Job running
// `regbot migrate`. No cluster or network is needed.
func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob("../../deploy/k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var (
		deploy  *appsv1.Deployment
		job     *batchv1.Job
		cm      *corev1.ConfigMap
		secret  *corev1.Secret
		svc     *corev1.Service
		kinds   []string
		decoded = map[string]any{}
	)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(data, &meta); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var obj any
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 Deployment":
			deploy = &appsv1.Deployment{}
			obj = deploy
		case "batch/v1 Job":
			job = &batchv1.Job{}
			obj = job
		case "v1 ConfigMap":
			cm = &corev1.ConfigMap{}
			obj = cm
		case "v1 Secret":
			secret = &corev1.Secret{}
			obj = secret
		case "v1 Service":
			svc = &corev1.Service{}
			obj = svc
		case "networking.k8s.io/v1 Ingress":
			obj = &networkingv1.Ingress{}
		case "policy/v1 PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		case "kustomize.config.k8s.io/v1beta1 Kustomization":
			var k struct {
				APIVersion string   `json:"apiVersion"`
				Kind       string   `json:"kind"`
				Resources  []string `json:"resources"`
			}
			if err := yaml.UnmarshalStrict(data, &k); err != nil {
				t.Errorf("%s: %v", f, err)
			}
			for _, r := range k.Resources {
				if _, err := os.Stat(filepath.Join("../../deploy/k8s", r)); err != nil {
					t.Errorf("%s lists %s: %v", f, r, err)
				}
			}
			continue
		default:
			t.Errorf("%s: unexpected %s %s", f, meta.APIVersion, meta.Kind)
			continue
		}
		if err := yaml.UnmarshalStrict(data, obj); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		kinds = append(kinds, meta.Kind)
		decoded[f] = obj
	}
	for _, k := range []string{"Deployment", "Job", "ConfigMap", "Secret", "Service"} {
		if !slices.Contains(kinds, k) {
			t.Fatalf("no %s manifest (have %v)", k, kinds)
		}
	}
	if t.Failed() {
		return
	}

	// ConfigMap and Secret: documented variables only; webhook mode.
	vars := configVars(t)
	keys := map[string]string{}
	for k, v := range cm.Data {
		keys[k] = v
	}
	for k, v := range secret.StringData {
		keys[k] = v
	}
	for k := range keys {
		if !vars[k] {
			t.Errorf("%s is set in the manifests but not a documented variable", k)
		}
	}
	for _, k := range []string{"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "REDIS_URL", "DATABASE_URL", "DATA_KEYS", "ID_HASH_KEY", "CALLBACK_KEY"} {
		if _, ok := secret.StringData[k]; !ok {
			t.Errorf("the Secret lacks %s", k)
		}
		if _, ok := cm.Data[k]; ok {
			t.Errorf("%s is in the ConfigMap: it is a secret", k)
		}
	}
	if !strings.HasPrefix(cm.Data["PLATFORM_RECIPIENT"], "age1") {
		t.Error("the ConfigMap does not set PLATFORM_RECIPIENT (a public key: not a secret)")
	}
	if !strings.HasPrefix(cm.Data["WEBHOOK_URL"], "https://") {
		t.Error("the ConfigMap does not set WEBHOOK_URL: several replicas need webhook mode")
	}
	// The Secret's placeholders are not usable values (so that nobody
	// deploys them by mistake): each REPLACE-ME is replaced by a value of
	// the right shape before the configuration is loaded.
	cfg, err := LoadConfig(func(k string) string { return fillPlaceholder(k, keys[k]) })
	if err != nil {
		t.Errorf("the manifests' configuration does not load: %v", err)
	} else if cfg.HTTPListen == "" || strings.HasPrefix(cfg.HTTPListen, "127.") {
		t.Errorf("HTTP_LISTEN = %q: the probes cannot reach it", cfg.HTTPListen)
	}

	// Deployment.
	if r := deploy.Spec.Replicas; r == nil || *r < 2 {
		t.Error("the Deployment has fewer than 2 replicas")
	}
	pod := deploy.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
			t.Errorf("%s probe: want GET %s", name, path)
			return
		}
		if port := p.HTTPGet.Port.String(); port != "metrics" && port != "9090" {
			t.Errorf("%s probe on port %s, want the metrics port", name, port)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")
	if ports["metrics"] != 9090 || !strings.HasSuffix(cfg.HTTPListen, ":9090") {
		t.Errorf("metrics port %d, HTTP_LISTEN %q", ports["metrics"], cfg.HTTPListen)
	}
	if !strings.HasSuffix(cfg.WebhookListen, ":"+strconv.Itoa(int(ports["webhook"]))) {
		t.Errorf("webhook port %d, WEBHOOK_LISTEN %q", ports["webhook"], cfg.WebhookListen)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("the container lacks cpu/memory requests or a memory limit")
	}
	checkSecurity(t, "Deployment", pod, c)
	var fromCM, fromSecret bool
	for _, e := range c.EnvFrom {
		fromCM = fromCM || e.ConfigMapRef != nil && e.ConfigMapRef.Name == cm.Name
		fromSecret = fromSecret || e.SecretRef != nil && e.SecretRef.Name == secret.Name
	}
	if !fromCM || !fromSecret {
		t.Error("the Deployment does not take its environment from the ConfigMap and the Secret")
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 90 {
		t.Error("terminationGracePeriodSeconds below 90 s: in-flight updates and the outbox drain need time")
	}

	// Service selects the Deployment's pods and exposes its named ports.
	for k, v := range svc.Spec.Selector {
		if deploy.Spec.Template.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the pods lack", k, v)
		}
	}
	for _, p := range svc.Spec.Ports {
		if _, ok := ports[p.TargetPort.String()]; !ok {
			t.Errorf("the Service targets port %s, which the container does not name", p.TargetPort.String())
		}
	}

	// Migration Job.
	jpod := job.Spec.Template.Spec
	if len(jpod.Containers) != 1 || !slices.Equal(jpod.Containers[0].Args, []string{"migrate"}) {
		t.Error("the Job does not run `regbot migrate`")
	} else {
		checkSecurity(t, "Job", jpod, jpod.Containers[0])
		if jpod.Containers[0].Image != c.Image {
			t.Errorf("the Job runs %s, the Deployment %s", jpod.Containers[0].Image, c.Image)
		}
	}
	if jpod.RestartPolicy != corev1.RestartPolicyNever && jpod.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("Job restartPolicy %q", jpod.RestartPolicy)
	}
}

func checkSecurity(t *testing.T, what string, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: the pod does not run as a non-root user", what)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: the root filesystem is not read-only", what)
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: privilege escalation is allowed", what)
	}
	if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) {
		t.Errorf("%s: capabilities are not all dropped", what)
	}
}

// TestComposeFile checks deploy/compose.yaml without Docker: it parses,
// names the four services, gives Redis AOF, and sets only documented
// variables for the bot.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Command     []string          `json:"command"`
			Environment map[string]string `json:"environment"`
			Ports       []string          `json:"ports"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"bot", "redis", "postgres", "marketing"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("no service %s", s)
		}
	}
	if !slices.Contains(c.Services["redis"].Command, "--appendonly") {
		t.Error("Redis runs without AOF")
	}
	vars := configVars(t)
	for k := range c.Services["bot"].Environment {
		if !vars[k] {
			t.Errorf("compose sets %s, not a documented variable", k)
		}
	}
	if _, ok := c.Services["bot"].Environment["HTTP_LISTEN"]; !ok {
		t.Error("compose does not set HTTP_LISTEN: the metrics would listen on the container's loopback")
	}
}

// TestKustomizeBuild renders deploy/k8s with kubectl's built-in kustomize
// (offline) where kubectl is installed; TestKubernetesManifests checks the
// manifests themselves everywhere.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: kustomize rendering not checked (the manifests are still validated by TestKubernetesManifests)")
	}
	out, err := exec.Command(kubectl, "kustomize", "../../deploy/k8s").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy/k8s: %v\n%s", err, out)
	}
	for _, kind := range []string{"kind: Deployment", "kind: Service", "kind: ConfigMap", "kind: Secret"} {
		if !strings.Contains(string(out), kind) {
			t.Errorf("rendered manifests lack %s", kind)
		}
	}
}

// fillPlaceholder replaces a REPLACE-ME placeholder of the Secret with a
// value of the shape the setting needs.
func fillPlaceholder(name, v string) string {
	if !strings.Contains(v, "REPLACE-ME") {
		return v
	}
	switch name {
	case "DATA_KEYS":
		return testDataKey
	case "ID_HASH_KEY", "CALLBACK_KEY":
		return testKey
	case "PLATFORM_RECIPIENT":
		return testRecipient
	case "WEBHOOK_SECRET":
		return "a-webhook-secret-of-the-right-shape"
	}
	return strings.ReplaceAll(v, "REPLACE-ME", "x")
}

// TestAlertRules checks the Prometheus alert rules with promtool and runs
// their unit tests (deploy/prometheus/alerts_test.yml): each alert fires
// on the series that should fire it and stays quiet otherwise. The alerts'
// metric names must be ones regbot exports.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run deploy/install-deps.sh (Debian's prometheus package)")
	}
	dir := filepath.Join("..", "..", "deploy", "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	rules, err := os.ReadFile(filepath.Join(dir, "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "adapters", "metrics", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, m := range regexp.MustCompile(`Name: +"(regbot_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		exported[m[1]] = true
	}
	for _, name := range regexp.MustCompile(`regbot_[a-z_]+`).FindAllString(string(rules), -1) {
		if !exported[name] && !exported[strings.TrimSuffix(name, "_count")] {
			t.Errorf("alerts.yml uses %s, which adapters/metrics does not export", name)
		}
	}
}

// TestGrafanaDashboard: the dashboard is valid JSON and every query names
// metrics regbot (or the Go client's process collector) exports.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "regbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("dashboard: %v, %d panels", err, len(dash.Panels))
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "adapters", "metrics", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range dash.Panels {
		for _, q := range p.Targets {
			for _, name := range regexp.MustCompile(`regbot_[a-z_]+`).FindAllString(q.Expr, -1) {
				base := regexp.MustCompile(`_(bucket|count|sum)$`).ReplaceAllString(name, "")
				if !strings.Contains(string(src), `"`+base+`"`) {
					t.Errorf("panel %q queries %s, which adapters/metrics does not export", p.Title, name)
				}
			}
		}
	}
}

// TestComposeConfig validates deploy/compose.yaml with Docker Compose's own
// parser (`docker compose config`) where the plugin is installed, with the
// required variables set; TestComposeFile checks the file everywhere.
func TestComposeConfig(t *testing.T) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skip("docker compose not installed: compose.yaml is checked by TestComposeFile only")
	}
	cmd := exec.Command("docker", "compose", "-f", "../../deploy/compose.yaml", "config", "--quiet")
	cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN=1:x", "REVIEW_CHAT_ID=-1", "REVIEWER_IDS=1",
		"DATA_KEYS=k1:x", "ID_HASH_KEY=x", "CALLBACK_KEY=x", "PLATFORM_RECIPIENT=age1x")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
