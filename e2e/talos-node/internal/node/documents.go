package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"homelab.local/e2e/talos-node/internal/talosver"
)

// Document is a config document the node's Talos version knows and machinery v1.13.0 does not (e.g. Talos 1.14's
// SecurityProfileConfig): kept as sent, shown by the control API, not acted on.
type Document struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Name       string         `json:"name,omitempty"`
	Content    map[string]any `json:"content"`
}

// splitDocuments sorts a machine config's documents by what a node running `version` does with them: the ones
// machinery decodes (returned as a config for configloader: the input itself when nothing else is in it), the
// ones only the node's version knows (recorded), and a kind the version does not know at all, which Talos refuses
// with its decoder's words.
func splitDocuments(data []byte, version string) ([]byte, []Document, error) {
	var (
		kept     bytes.Buffer
		recorded []Document
	)

	enc := yaml.NewEncoder(&kept)
	enc.SetIndent(2)

	dec := yaml.NewDecoder(bytes.NewReader(data))

	for {
		var doc yaml.Node

		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			return data, nil, nil // machinery reports the YAML error in its own words
		}

		apiVersion, kind, name := field(&doc, "apiVersion"), field(&doc, "kind"), field(&doc, "name")

		switch talosver.Kind(version, kind) {
		case talosver.Unknown:
			return nil, nil, fmt.Errorf("error decoding document %s/%s/%s (line %d): %q %q: not registered",
				apiVersion, kind, name, doc.Line, kind, apiVersion)
		case talosver.Record:
			var content map[string]any
			if err := doc.Decode(&content); err != nil {
				return nil, nil, fmt.Errorf("error decoding document %s/%s/%s (line %d): %w", apiVersion, kind, name, doc.Line, err)
			}

			recorded = append(recorded, Document{APIVersion: apiVersion, Kind: kind, Name: name, Content: content})
		case talosver.Decode:
			if err := enc.Encode(&doc); err != nil {
				return nil, nil, err
			}
		}
	}

	if len(recorded) == 0 {
		return data, nil, nil
	}

	if err := enc.Close(); err != nil {
		return nil, nil, err
	}

	return kept.Bytes(), recorded, nil
}

// field is a top-level string field of a YAML document ("" when absent).
func field(doc *yaml.Node, key string) string {
	m := doc
	if m.Kind == yaml.DocumentNode && len(m.Content) == 1 {
		m = m.Content[0]
	}

	if m.Kind != yaml.MappingNode {
		return ""
	}

	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}

	return ""
}

// DocumentKinds names a machine config's documents in order, for the call log: each document's kind, `v1alpha1`
// for the v1alpha1 config (which has none); nil when the YAML does not parse. Never the content.
func DocumentKinds(data []byte) []string {
	var kinds []string

	dec := yaml.NewDecoder(bytes.NewReader(data))

	for {
		var doc yaml.Node

		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return kinds
		}

		if err != nil {
			return nil
		}

		kind := field(&doc, "kind")
		if kind == "" {
			kind = field(&doc, "version")
		}

		kinds = append(kinds, kind)
	}
}
