// Command kubernetes-schema writes the Pulumi schema of the Kubernetes provider plugin (schema.json) the way
// upstream's `make schema` does (provider/cmd/pulumi-gen-kubernetes at v4.32.0: `generateSchema` in main.go and
// `mergeSwaggerSpecs` in merge.go), so that the 8 MB generated file need not be committed.
//
// Upstream reads Kubernetes' OpenAPI file of KUBE_VERSION (the Makefile's v1.36.1) and merges it, in order, over
// those of older releases (so that APIs removed since stay in the schema), then calls gen.PulumiSchema. Upstream
// downloads the files from raw.githubusercontent.com; here they come from the k8s.io/kubernetes module zips of the
// same releases (api/openapi-spec/swagger.json in each), fetched with `go mod download` from the Go module proxy
// into Go's module cache and checked against the hashes below.
//
// Usage: go run . -out <provider>/cmd/pulumi-resource-kubernetes/schema.json
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/imdario/mergo"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/gen"
)

// openAPISource is one Kubernetes release whose OpenAPI file the schema is built from.
type openAPISource struct {
	version string
	// The module zip's hash as go.sum records it (go mod download reports it as Sum).
	sum string
}

// current is KUBE_VERSION of upstream's Makefile at v4.32.0.
var current = openAPISource{"v1.36.1", "h1:Mt7NKigaZ2KmOmCLhX81lGlH9JU5wjXnYhXnxAun9XA="}

// legacy are the releases generateSchema merges under the current file, in its order ("17", "18", "19", "20",
// "26", "28", "30", "31").
var legacy = []openAPISource{
	{"v1.17.0", "h1:KQbF8IxJ4KsWqRFF4ppkS5/EGfpA/SjyyiEa8hvI/Os="},
	{"v1.18.0", "h1:rVe+edi5GwutPQJ4KIZq1Nk506nmnfyz/KOZVCLv7Yo="},
	{"v1.19.0", "h1:ir53YuXsfsuVABmtYHCTUa3xjD41Htxv3o+xoQjJdUo="},
	{"v1.20.0", "h1:mnc69esJC3PJgSptxNJomGz2gBthyGLSEy18WiyRH4U="},
	{"v1.26.0", "h1:fL8VMr4xlfTazPORLhz5fsvO5I3bsFpmynVxZTH1ItQ="},
	{"v1.28.0", "h1:p8qq/VoNHnBWinLEi5LO2IvCfzFouN7Jhdz8+L++V+U="},
	{"v1.30.0", "h1:u3Yw8rNlo2NDSGaDpoxoHXLPQnEu1tfqHATKOJe94HY="},
	{"v1.31.0", "h1:sYAB12TTWexXKp4RxqJMm/7EC+P0mNOgn4Xdj5eu7HM="},
}

const swaggerInModule = "api/openapi-spec/swagger.json"

func main() {
	// A dependency's init sends the standard logger to io.Discard: take it back, errors must be seen.
	log.SetOutput(os.Stderr)
	log.SetFlags(0)
	log.SetPrefix("kubernetes-schema: ")
	out := flag.String("out", "", "where to write schema.json")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		log.Fatal("usage: kubernetes-schema -out <path of schema.json>")
	}

	files, err := swaggerFiles(append([]openAPISource{current}, legacy...))
	if err != nil {
		log.Fatal(err)
	}
	swagger, err := os.ReadFile(files[current.version])
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range legacy {
		legacySwagger, err := os.ReadFile(files[l.version])
		if err != nil {
			log.Fatal(err)
		}
		if swagger, err = mergeSwaggerSpecs(legacySwagger, swagger); err != nil {
			log.Fatalf("merging the OpenAPI file of %s: %v", l.version, err)
		}
	}

	var schemaMap map[string]any
	if err := json.Unmarshal(swagger, &schemaMap); err != nil {
		log.Fatal(err)
	}
	pkgSpec := gen.PulumiSchema(
		schemaMap,
		gen.WithResourceOverlays(gen.ResourceOverlays),
		gen.WithTypeOverlays(gen.TypeOverlays),
	)
	schemaJSON, err := makeJSONString(pkgSpec)
	if err != nil {
		log.Fatalf("marshaling Pulumi schema: %v", err)
	}
	if err := os.WriteFile(*out, schemaJSON, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d bytes, %d resources)", *out, len(schemaJSON), len(pkgSpec.Resources))
}

// swaggerFiles downloads the k8s.io/kubernetes module of each release into Go's module cache (one `go mod
// download`, which verifies it against the checksum database) and returns the path of its OpenAPI file by version.
func swaggerFiles(sources []openAPISource) (map[string]string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	// Outside any module, so that go does not record these modules in a go.sum.
	empty, err := os.MkdirTemp("", "kubernetes-schema-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(empty)
	args := []string{"mod", "download", "-json"}
	for _, s := range sources {
		args = append(args, "k8s.io/kubernetes@"+s.version)
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = empty
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GO111MODULE=on")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	// go mod download exits 1 when one module fails, and says which in its JSON: report that first.
	type downloaded struct{ Path, Version, Dir, Sum, Error string }
	got := map[string]downloaded{}
	dec := json.NewDecoder(bytes.NewReader(stdout))
	for {
		var d downloaded
		if decErr := dec.Decode(&d); errors.Is(decErr, io.EOF) {
			break
		} else if decErr != nil {
			return nil, fmt.Errorf("reading go mod download's output: %w", decErr)
		}
		got[d.Version] = d
	}
	files := map[string]string{}
	for _, s := range sources {
		d, ok := got[s.version]
		switch {
		case !ok:
			return nil, fmt.Errorf("go mod download said nothing about k8s.io/kubernetes@%s (%v)", s.version, err)
		case d.Error != "":
			return nil, fmt.Errorf("k8s.io/kubernetes@%s: %s", s.version, d.Error)
		case d.Sum != s.sum:
			return nil, fmt.Errorf("k8s.io/kubernetes@%s: module hash %s, expected %s", s.version, d.Sum, s.sum)
		}
		files[s.version] = filepath.Join(d.Dir, filepath.FromSlash(swaggerInModule))
	}
	if err != nil {
		return nil, fmt.Errorf("go mod download: %w", err)
	}
	return files, nil
}

// mergeSwaggerSpecs is upstream's (cmd/pulumi-gen-kubernetes/merge.go), returning errors instead of panicking:
// the current spec's values override the legacy one's.
func mergeSwaggerSpecs(legacyBytes, currentBytes []byte) ([]byte, error) {
	var legacyObj, newObj map[string]any
	if err := json.Unmarshal(legacyBytes, &legacyObj); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(currentBytes, &newObj); err != nil {
		return nil, err
	}
	if err := mergo.Merge(&legacyObj, newObj, mergo.WithOverride); err != nil {
		return nil, err
	}
	return json.Marshal(legacyObj)
}

// makeJSONString is upstream's: 4-space indent, no HTML escaping, trailing newline.
func makeJSONString(v any) ([]byte, error) {
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", "    ")
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
