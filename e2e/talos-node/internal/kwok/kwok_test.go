package kwok

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestRuleJQ(t *testing.T) {
	for _, tc := range []struct {
		rule    Rule
		want    string
		wantErr string
	}{
		{rule: Rule{Namespace: "synology-csi", LabelSelector: "app=controller"},
			want: `(.metadata.namespace == "synology-csi" and (.metadata.labels["app"] == "controller"))`},
		{rule: Rule{Namespace: "ns", LabelSelector: ""}, want: `(.metadata.namespace == "ns")`},
		{rule: Rule{Namespace: "ns", LabelSelector: "app.kubernetes.io/name in (a,b),tier!=db"},
			want: `(.metadata.namespace == "ns" and (.metadata.labels["app.kubernetes.io/name"] == "a" or .metadata.labels["app.kubernetes.io/name"] == "b") and (.metadata.labels["tier"] != "db"))`},
		{rule: Rule{Namespace: "ns", LabelSelector: "canary,!legacy"},
			want: `(.metadata.namespace == "ns" and .metadata.labels["canary"] != null and .metadata.labels["legacy"] == null)`},
		{rule: Rule{Namespace: "ns", LabelSelector: "x notin (a)"}, want: `(.metadata.namespace == "ns" and (.metadata.labels["x"] != "a"))`},
		{rule: Rule{Namespace: "ns", LabelSelector: `a="x"`}, wantErr: "labelSelector"},
		{rule: Rule{LabelSelector: "a>1"}, wantErr: "namespace: required"},
	} {
		t.Run(tc.rule.Key(), func(t *testing.T) {
			if err := tc.rule.Check(); tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}

				return
			} else if err != nil {
				t.Fatal(err)
			}

			got, err := tc.rule.JQ()
			if err != nil || got != tc.want {
				t.Fatalf("got %s (%v)\nwant %s", got, err, tc.want)
			}
		})
	}
}

type stageDoc struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchExpressions []struct {
				Key      string   `json:"key"`
				Operator string   `json:"operator"`
				Values   []string `json:"values"`
			} `json:"matchExpressions"`
		} `json:"selector"`
		Next struct {
			StatusTemplate string `json:"statusTemplate"`
		} `json:"next"`
	} `json:"spec"`
}

func stages(t *testing.T, rules []Rule) map[string]stageDoc {
	t.Helper()

	raw, err := Stages(rules)
	if err != nil {
		t.Fatal(err)
	}

	out := map[string]stageDoc{}

	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var s stageDoc
		if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatal(err)
		}

		out[s.Metadata.Name] = s
	}

	return out
}

func (s stageDoc) expr(key string) (string, []string, bool) {
	for _, e := range s.Spec.Selector.MatchExpressions {
		if e.Key == key {
			return e.Operator, e.Values, true
		}
	}

	return "", nil, false
}

func TestStages(t *testing.T) {
	plain := stages(t, nil)

	for _, name := range []string{"node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete"} {
		if _, ok := plain[name]; !ok {
			t.Fatalf("stage %s missing: %v", name, plain)
		}
	}

	if _, ok := plain["pod-never-ready"]; ok {
		t.Fatal("no rules, no never-ready stage")
	}

	mirror := `.metadata.annotations["kubernetes.io/config.mirror"]`

	for _, name := range []string{"pod-ready", "pod-complete", "pod-delete"} {
		if op, _, ok := plain[name].expr(mirror); !ok || op != "DoesNotExist" {
			t.Errorf("%s must leave mirror pods alone", name)
		}
	}

	if _, values, _ := plain["pod-ready"].expr(".status.phase"); strings.Join(values, ",") != "Pending,Running" {
		t.Errorf("pod-ready phases %v", values)
	}

	ruled := stages(t, []Rule{{Namespace: "synology-csi", LabelSelector: "app=controller"}})
	match := `((.metadata.namespace == "synology-csi" and (.metadata.labels["app"] == "controller")))`

	if op, values, ok := ruled["pod-ready"].expr(match); !ok || op != "In" || values[0] != "false" {
		t.Fatalf("pod-ready must skip the rule's pods: %+v", ruled["pod-ready"].Spec.Selector)
	}

	never := ruled["pod-never-ready"]
	if op, values, ok := never.expr(match); !ok || op != "In" || values[0] != "true" {
		t.Fatalf("pod-never-ready selector: %+v", never.Spec.Selector)
	}

	if !strings.Contains(never.Spec.Next.StatusTemplate, "ready: false") || !strings.Contains(never.Spec.Next.StatusTemplate, "phase: Running") {
		t.Fatalf("pod-never-ready template:\n%s", never.Spec.Next.StatusTemplate)
	}

	// A pod played again after kwok restarted (a rule set or cleared) keeps its IP: a second one would be refused.
	for name, tpl := range map[string]string{
		"pod-ready":          ruled["pod-ready"].Spec.Next.StatusTemplate,
		"pod-never-ready":    never.Spec.Next.StatusTemplate,
		"pod-ready no rules": plain["pod-ready"].Spec.Next.StatusTemplate,
	} {
		if !strings.Contains(tpl, withNewPodIPs) || strings.Contains(tpl, "{{ with $podIPs }}") {
			t.Errorf("%s writes pod IPs over the ones a pod has:\n%s", name, tpl)
		}
	}
}
