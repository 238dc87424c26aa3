// Package kwok makes the stage configuration the stand-in runs kwok (sigs.k8s.io/kwok v0.8.0) with: kwok's own
// node and pod stages (copied in stages/, see stages/ORIGIN), changed so that kwok leaves mirror pods to the
// stand-in's kubelet model, plus "never ready" rules that keep chosen pods Running but not Ready.
package kwok

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/yaml"
)

//go:embed stages/*.yaml
var stageFiles embed.FS

// MirrorAnnotation marks mirror pods (kubelet's kubernetes.io/config.mirror); kwok must not play them.
const MirrorAnnotation = "kubernetes.io/config.mirror"

// Rule selects pods that must never become Ready: a namespace and a label selector (Kubernetes' syntax).
type Rule struct {
	Namespace     string `json:"namespace"`
	LabelSelector string `json:"labelSelector"`
}

// Key identifies a rule.
func (r Rule) Key() string { return r.Namespace + "/" + r.LabelSelector }

// Check validates a rule: a namespace and a label selector Kubernetes parses (an empty selector is every pod of
// the namespace).
func (r Rule) Check() error {
	var problems []string

	if r.Namespace == "" {
		problems = append(problems, "namespace: required")
	}

	if _, err := labels.Parse(r.LabelSelector); err != nil {
		problems = append(problems, fmt.Sprintf("labelSelector: %v", err))
	}

	if len(problems) > 0 {
		return fmt.Errorf("never-ready: %s", strings.Join(problems, "; "))
	}

	return nil
}

func quote(s string) string {
	raw, _ := json.Marshal(s) //nolint:errcheck // strings always marshal

	return string(raw)
}

// JQ is the rule as a jq expression that is true for the pods it selects.
func (r Rule) JQ() (string, error) {
	sel, err := labels.Parse(r.LabelSelector)
	if err != nil {
		return "", err
	}

	reqs, _ := sel.Requirements()
	terms := []string{".metadata.namespace == " + quote(r.Namespace)}

	for _, req := range reqs {
		label := ".metadata.labels[" + quote(req.Key()) + "]"
		values := req.Values().List()

		var alts []string

		switch req.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			for _, v := range values {
				alts = append(alts, label+" == "+quote(v))
			}

			terms = append(terms, "("+strings.Join(alts, " or ")+")")
		case selection.NotEquals, selection.NotIn:
			for _, v := range values {
				alts = append(alts, label+" != "+quote(v))
			}

			terms = append(terms, "("+strings.Join(alts, " and ")+")")
		case selection.Exists:
			terms = append(terms, label+" != null")
		case selection.DoesNotExist:
			terms = append(terms, label+" == null")
		default:
			return "", fmt.Errorf("label selector operator %q is not supported", req.Operator())
		}
	}

	return "(" + strings.Join(terms, " and ") + ")", nil
}

func anyRule(rules []Rule) (string, error) {
	var exprs []string

	for _, r := range rules {
		e, err := r.JQ()
		if err != nil {
			return "", err
		}

		exprs = append(exprs, e)
	}

	return "(" + strings.Join(exprs, " or ") + ")", nil
}

type stage = map[string]any

func load(name string) (stage, error) {
	raw, err := stageFiles.ReadFile("stages/" + name + ".yaml")
	if err != nil {
		return nil, err
	}

	var s stage

	return s, yaml.Unmarshal(raw, &s)
}

func expr(key, op string, values ...string) map[string]any {
	e := map[string]any{"key": key, "operator": op}
	if len(values) > 0 {
		e["values"] = values
	}

	return e
}

// addExpressions appends selector expressions to a stage.
func addExpressions(s stage, exprs ...map[string]any) {
	spec := s["spec"].(map[string]any)

	sel, _ := spec["selector"].(map[string]any)
	if sel == nil {
		sel = map[string]any{}
		spec["selector"] = sel
	}

	list, _ := sel["matchExpressions"].([]any)
	for _, e := range exprs {
		list = append(list, e)
	}

	sel["matchExpressions"] = list
}

// setExpression replaces the value list of the selector expression with the given key.
func setExpression(s stage, key string, values ...string) error {
	sel := s["spec"].(map[string]any)["selector"].(map[string]any)
	for _, e := range sel["matchExpressions"].([]any) {
		if m := e.(map[string]any); m["key"] == key {
			m["values"] = values

			return nil
		}
	}

	return fmt.Errorf("stage %v has no selector on %s", s["metadata"], key)
}

const (
	readyKey = `.status.conditions.[] | select( .type == "Ready" ) | .status`
	phaseKey = `.status.phase`
)

// notReadyTemplate is pod-ready's status with the containers running but not ready (a failing readiness probe).
const notReadyTemplate = `{{ $now := Now }}

conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: PodScheduled

containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
{{ $hostIPs := NodeIPsWith .spec.nodeName }}
{{ with $hostIPs }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
` + withNewPodIPs + `
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
phase: Running
startTime: {{ $now | Quote }}
`

// withNewPodIPs opens the podIP/podIPs block of a pod stage's status template only for a pod that has no IP yet.
// kwok's own pod-ready runs once per pod (Pending), but here a Running pod may be played again (made ready after a
// never-ready rule is cleared, or unready when one is set) after kwok restarted with a fresh IP pool: writing the
// newly allocated IP then adds a second one, which the API server refuses ("may specify no more than one IP for
// each IP family"), and the pod stays as it was for good. An IP the pod has is kept as it is.
const withNewPodIPs = "{{ with ( and ( not ( and .status .status.podIP ) ) $podIPs ) }}"

// keepPodIPs makes a stage's status template keep the IP a pod already has (see withNewPodIPs).
func keepPodIPs(s stage) error {
	next, _ := s["spec"].(map[string]any)["next"].(map[string]any)
	tpl, _ := next["statusTemplate"].(string)

	const open = "{{ with $podIPs }}"
	if strings.Count(tpl, open) != 1 {
		return fmt.Errorf("stage %v: expected one %q in its status template", s["metadata"], open)
	}

	next["statusTemplate"] = strings.Replace(tpl, open, withNewPodIPs, 1)

	return nil
}

// Stages is kwok's --config: its node stages as they are, its pod stages changed so that mirror pods are left
// alone and a Running pod that is not Ready becomes Ready (a readiness probe that passes again), and for the
// never-ready rules a stage that keeps their pods Running and not Ready (pod-ready then skips them).
func Stages(neverReady []Rule) ([]byte, error) {
	rules := append([]Rule(nil), neverReady...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].Key() < rules[j].Key() })

	var docs []stage

	for _, name := range []string{"node-initialize", "node-heartbeat-with-lease"} {
		s, err := load(name)
		if err != nil {
			return nil, err
		}

		docs = append(docs, s)
	}

	notMirror := expr(".metadata.annotations["+quote(MirrorAnnotation)+"]", "DoesNotExist")

	ready, err := load("pod-ready")
	if err != nil {
		return nil, err
	}

	if err := setExpression(ready, phaseKey, "Pending", "Running"); err != nil {
		return nil, err
	}

	if err := keepPodIPs(ready); err != nil {
		return nil, err
	}

	addExpressions(ready, notMirror)

	if len(rules) > 0 {
		match, err := anyRule(rules)
		if err != nil {
			return nil, err
		}

		addExpressions(ready, expr(match, "In", "false"))

		never, err := load("pod-ready")
		if err != nil {
			return nil, err
		}

		never["metadata"] = map[string]any{"name": "pod-never-ready"}
		spec := never["spec"].(map[string]any)
		spec["next"] = map[string]any{"statusTemplate": notReadyTemplate}

		if err := setExpression(never, phaseKey, "Pending", "Running"); err != nil {
			return nil, err
		}

		if err := setExpression(never, readyKey, "False"); err != nil { // NotIn False: not yet made unready
			return nil, err
		}

		addExpressions(never, notMirror, expr(match, "In", "true"))
		docs = append(docs, ready, never)
	} else {
		docs = append(docs, ready)
	}

	for _, name := range []string{"pod-complete", "pod-delete"} {
		s, err := load(name)
		if err != nil {
			return nil, err
		}

		addExpressions(s, notMirror)
		docs = append(docs, s)
	}

	var out bytes.Buffer

	for i, d := range docs {
		raw, err := yaml.Marshal(d)
		if err != nil {
			return nil, err
		}

		if i > 0 {
			out.WriteString("---\n")
		}

		out.Write(raw)
	}

	return out.Bytes(), nil
}
