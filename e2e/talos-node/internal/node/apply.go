package node

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	talosconfig "github.com/siderolabs/talos/pkg/machinery/config"
	cfgcfg "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configdiff"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/block/blockhelpers"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"homelab.local/e2e/talos-node/internal/talosver"
)

// ErrNotAuthorized is Talos' authorization failure.
var ErrNotAuthorized = status.Error(codes.PermissionDenied, "not authorized")

// validationMode is machined's runtime mode on bare metal (modeWrapper: install required until installed).
type validationMode struct{ installed bool }

func (m validationMode) String() string        { return "metal" }
func (m validationMode) RequiresInstall() bool { return !m.installed }
func (m validationMode) InContainer() bool     { return false }

// ApplyRequest is machine.ApplyConfigurationRequest plus the caller's authority.
type ApplyRequest struct {
	Data       []byte
	Mode       machine.ApplyConfigurationRequest_Mode
	DryRun     bool
	TryTimeout time.Duration
	Admin      bool // the client certificate carries os:admin (configured mode requires it)
}

// Apply answers machine.MachineService/ApplyConfiguration the way machined does.
func (n *Node) Apply(req ApplyRequest) (*machine.ApplyConfiguration, error) {
	n.c.lock()
	defer n.c.unlock()

	res, err := n.apply(req)
	if err == nil {
		n.c.refresh()
	}

	return res, err
}

//nolint:gocyclo,cyclop
func (n *Node) apply(req ApplyRequest) (*machine.ApplyConfiguration, error) {
	inMaintenance := n.mode == ModeMaintenance

	if !inMaintenance && !req.Admin {
		return nil, ErrNotAuthorized
	}

	mode := req.Mode.String()
	modeDetails := "Applied configuration with a reboot"
	modeErr := ""

	if req.Mode != machine.ApplyConfigurationRequest_TRY {
		n.tryRollback = 0
	}

	decodable, recorded, err := splitDocuments(req.Data, n.version)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}

	cfg, err := configloader.NewFromBytes(decodable)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}

	if !inMaintenance && cfg.RawV1Alpha1() == nil {
		return nil, status.Error(codes.InvalidArgument,
			"the applied machine configuration doesn't contain v1alpha1 config, did you mean to patch the machine config instead?")
	}

	vmode := validationMode{installed: n.installed}

	warnings, err := cfg.Validate(vmode)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}

	runtimeWarnings, err := n.runtimeValidate(cfg, vmode)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}

	warnings = slices.Concat(warnings, runtimeWarnings)

	if inMaintenance && req.Mode == machine.ApplyConfigurationRequest_REBOOT {
		req.Mode = machine.ApplyConfigurationRequest_NO_REBOOT
	}

	switch req.Mode { //nolint:exhaustive
	case machine.ApplyConfigurationRequest_TRY, machine.ApplyConfigurationRequest_NO_REBOOT:
		if err = n.canApplyImmediate(cfg); err != nil && !inMaintenance {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}

		modeDetails = "Applied configuration without a reboot"
	case machine.ApplyConfigurationRequest_STAGED:
		modeDetails = "Staged configuration to be applied after the next reboot"
	case machine.ApplyConfigurationRequest_AUTO:
		if err = n.canApplyImmediate(cfg); err != nil && !inMaintenance {
			req.Mode = machine.ApplyConfigurationRequest_REBOOT
			modeDetails = "Applied configuration with a reboot"
			modeErr = ": " + err.Error()
		} else {
			req.Mode = machine.ApplyConfigurationRequest_NO_REBOOT
			modeDetails = "Applied configuration without a reboot"
		}

		mode = fmt.Sprintf("%s(%s)", mode, req.Mode)
	}

	if req.DryRun {
		diff, err := n.diff(cfg)
		if err != nil {
			return nil, fmt.Errorf("failed to generate diff: %w", err)
		}

		return &machine.ApplyConfiguration{
			Mode:        req.Mode,
			ModeDetails: fmt.Sprintf("Dry run summary:\n%s (skipped in dry-run).\n%s", modeDetails, diff),
		}, nil
	}

	n.c.logf("%s: apply config request: mode %s", n.spec.Address, mode)

	loaded := &machineConfig{raw: slices.Clone(req.Data), cfg: cfg, recorded: recorded}

	switch req.Mode { //nolint:exhaustive
	case machine.ApplyConfigurationRequest_TRY:
		timeout := constants.ConfigTryTimeout
		if req.TryTimeout > 0 {
			timeout = req.TryTimeout
		}

		modeDetails += fmt.Sprintf("\nThe config is applied in 'try' mode and will be automatically reverted back in %s", timeout.String())
		n.applyTry(loaded, timeout)
	case machine.ApplyConfigurationRequest_NO_REBOOT:
		n.persisted = loaded

		if inMaintenance {
			n.startInstall()
		} else {
			n.applyNow(loaded)
		}
	case machine.ApplyConfigurationRequest_STAGED:
		n.persisted = loaded
	case machine.ApplyConfigurationRequest_REBOOT:
		n.persisted = loaded
		n.startSequence("reboot", newActorID(), rebootPlan(n.isControlPlane()), func() { n.reboot() })
	default:
		return nil, fmt.Errorf("incorrect mode '%s' specified for the apply config call", req.Mode.String())
	}

	n.lastApplied = loaded.raw

	return &machine.ApplyConfiguration{Mode: req.Mode, Warnings: warnings, ModeDetails: modeDetails + modeErr}, nil
}

// runtimeValidate is Container.RuntimeValidate with the Kubernetes version checked against the Talos version this
// node runs (machinery's own check would use the version machinery was built as).
func (n *Node) runtimeValidate(cfg talosconfig.Provider, mode validationMode) ([]string, error) {
	ctx := context.Background()

	var (
		warnings []string
		multiErr *multierror.Error
	)

	if v1 := cfg.RawV1Alpha1(); v1 != nil {
		w, err := n.runtimeValidateV1Alpha1(ctx, v1, mode)
		if err != nil {
			multiErr = multierror.Append(multiErr, fmt.Errorf("v1alpha1.Config: %w", err))
		}

		warnings = append(warnings, w...)
	}

	for _, doc := range cfg.Documents() {
		if _, isV1 := doc.(*v1alpha1.Config); isV1 {
			continue
		}

		if rv, ok := doc.(cfgcfg.RuntimeValidator); ok {
			w, err := rv.RuntimeValidate(ctx, n.res, mode)
			if err != nil {
				err = fmt.Errorf("%s: %w", docID(doc), err)
			}

			warnings = append(warnings, w...)
			multiErr = multierror.Append(multiErr, err)
		}
	}

	return warnings, multiErr.ErrorOrNil()
}

func docID(doc cfgcfg.Document) string {
	id := doc.Kind()
	if named, ok := doc.(cfgcfg.NamedDocument); ok {
		id += "/" + named.Name()
	}

	return id
}

func (n *Node) runtimeValidateV1Alpha1(ctx context.Context, c *v1alpha1.Config, mode validationMode) ([]string, error) {
	var (
		warnings []string
		result   *multierror.Error
	)

	if c.MachineConfig != nil {
		if mode.RequiresInstall() && c.MachineConfig.MachineInstall != nil {
			diskExpr, err := c.MachineConfig.MachineInstall.DiskMatchExpression()
			if err != nil {
				result = multierror.Append(result, fmt.Errorf("install disk selector is invalid: %w", err))
			} else if diskExpr != nil {
				matched, err := blockhelpers.MatchDisks(ctx, n.res, diskExpr)
				if err != nil {
					result = multierror.Append(result, err)
				}

				if len(matched) == 0 {
					result = multierror.Append(result, fmt.Errorf("no disks matched the expression: %s", diskExpr))
				}
			}
		}

		if len(c.MachineConfig.Install().Extensions()) > 0 {
			warnings = append(warnings, ".machine.install.extensions is deprecated, please see https://docs.siderolabs.com/talos/latest/platform-specific-installations/boot-assets")
		}

		if err := n.validateKubernetesImageTag(c.Machine().Kubelet().Image()); err != nil {
			result = multierror.Append(result, fmt.Errorf("kubelet image is not valid: %w", err))
		}
	}

	if c.ClusterConfig != nil && c.MachineConfig != nil && c.Machine().Type().IsControlPlane() {
		for _, spec := range []struct{ name, imageRef string }{
			{"kube-apiserver", c.Cluster().APIServer().Image()},
			{"kube-controller-manager", c.Cluster().ControllerManager().Image()},
			{"kube-scheduler", c.Cluster().Scheduler().Image()},
		} {
			if err := n.validateKubernetesImageTag(spec.imageRef); err != nil {
				result = multierror.Append(result, fmt.Errorf("%s image is not valid: %w", spec.name, err))
			}
		}
	}

	return warnings, result.ErrorOrNil()
}

// validateKubernetesImageTag is v1alpha1.ValidateKubernetesImageTag for this node's Talos version (its range
// from talosver, which knows Talos 1.14's).
func (n *Node) validateKubernetesImageTag(imageRef string) error {
	k8sVersion, err := v1alpha1.KubernetesVersionFromImageRef(imageRef)
	if err != nil {
		return fmt.Errorf("failed to parse Kubernetes version from image reference %q: %w", imageRef, err)
	}

	return talosver.KubernetesSupported(k8sVersion.String(), n.version)
}

// canApplyImmediate is machined's check: only some parts of the configuration change without a reboot.
func (n *Node) canApplyImmediate(cfg talosconfig.Provider) error {
	if n.active == nil {
		return errors.New("no current config")
	}

	current := n.active.cfg.RawV1Alpha1()
	if current == nil {
		return errors.New("current config is not v1alpha1")
	}

	newConfig := cfg.RawV1Alpha1()
	if newConfig == nil {
		return errors.New("new config is not v1alpha1")
	}

	newConfig = newConfig.DeepCopy()
	newConfig.ConfigDebug = current.ConfigDebug
	newConfig.ClusterConfig = current.ClusterConfig

	if newConfig.MachineConfig != nil && current.MachineConfig != nil {
		nm, cm := newConfig.MachineConfig, current.MachineConfig
		nm.MachineCA = cm.MachineCA
		nm.MachineAcceptedCAs = cm.MachineAcceptedCAs
		nm.MachineTime = cm.MachineTime //nolint:staticcheck
		nm.MachineCertSANs = cm.MachineCertSANs
		nm.MachineInstall = cm.MachineInstall
		nm.MachineNetwork = cm.MachineNetwork //nolint:staticcheck
		nm.MachineSysfs = cm.MachineSysfs
		nm.MachineSysctls = cm.MachineSysctls
		nm.MachineLogging = cm.MachineLogging
		nm.MachineControlPlane = cm.MachineControlPlane
		nm.MachineKubelet = cm.MachineKubelet
		nm.MachineKernel = cm.MachineKernel
		nm.MachineRegistries = cm.MachineRegistries //nolint:staticcheck
		nm.MachinePods = cm.MachinePods
		nm.MachineSeccompProfiles = cm.MachineSeccompProfiles
		nm.MachineNodeAnnotations = cm.MachineNodeAnnotations
		nm.MachineNodeLabels = cm.MachineNodeLabels
		nm.MachineNodeTaints = cm.MachineNodeTaints

		if nm.MachineFeatures != nil && cm.MachineFeatures != nil {
			nm.MachineFeatures.KubernetesTalosAPIAccessConfig = cm.MachineFeatures.KubernetesTalosAPIAccessConfig
			nm.MachineFeatures.KubePrismSupport = cm.MachineFeatures.KubePrismSupport
			nm.MachineFeatures.HostDNSSupport = cm.MachineFeatures.HostDNSSupport
			nm.MachineFeatures.ImageCacheSupport = cm.MachineFeatures.ImageCacheSupport
			nm.MachineFeatures.FeatureNodeAddressSortAlgorithm = cm.MachineFeatures.FeatureNodeAddressSortAlgorithm
		}
	}

	if !reflect.DeepEqual(current, newConfig) {
		diff, err := configdiff.DiffConfigs(container.NewV1Alpha1(current), container.NewV1Alpha1(newConfig))
		if err != nil {
			return fmt.Errorf("error calculating diff: %w", err)
		}

		return fmt.Errorf("this config change can't be applied in immediate mode\ndiff:\n%s", diff)
	}

	return nil
}

func (n *Node) diff(cfg talosconfig.Provider) (string, error) {
	var current talosconfig.Encoder // nil: machined diffs against an empty container in maintenance mode
	if n.active != nil {
		current = n.active.cfg
	}

	d, err := configdiff.DiffConfigs(current, cfg)
	if err != nil {
		return "", err
	}

	if d == "" {
		d = "No changes."
	}

	return "Config diff:\n\n" + d, nil
}

// applyNow makes a configuration the running one (no reboot): derived state and the API certificate follow.
func (n *Node) applyNow(loaded *machineConfig) {
	n.active = loaded

	if issued, err := n.issueCert(); err == nil {
		n.issued = issued // new connections get it; open ones keep theirs, as with apid's certificate refresh
	}
}

// applyTry runs a configuration for timeout, then goes back to the persisted one unless another apply came first.
func (n *Node) applyTry(loaded *machineConfig, timeout time.Duration) {
	previous := n.active
	n.applyNow(loaded)

	n.trySeq++
	n.tryRollback = n.trySeq
	token := n.tryRollback

	n.c.after(n, timeout, func() {
		if n.tryRollback != token || n.mode != ModeConfigured {
			return
		}

		n.tryRollback = 0
		n.applyNow(previous)
		n.c.logf("%s: try mode timed out, configuration rolled back", n.spec.Address)
	})
}
