// Copyright 2016-2024, Pulumi Corporation.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package resource

import (
	"helm.sh/helm/v3/pkg/cli"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/clients"
)

type ResourceProvider interface { // nolint:revive // stutters
	Construct(ctx *pulumi.Context, typ, name string,
		inputs pulumiprovider.ConstructInputs, options pulumi.ResourceOption) (*pulumiprovider.ConstructResult, error)
}

type ResourceProviderOptions struct { // nolint:revive // stutters
	ClientSet        *clients.DynamicClientSet
	DefaultNamespace string
	HelmOptions      *HelmOptions
}

type HelmOptions struct {
	SuppressHelmHookWarnings bool
	HelmDriver               string
	EnvSettings              *cli.EnvSettings
}

type ResourceProviderFactory func(*ResourceProviderOptions) ResourceProvider // nolint:revive // stutters

type ResourceProviderFuncs struct { // nolint:revive // stutters
	ConstructF pulumiprovider.ConstructFunc
}

var _ ResourceProvider = &ResourceProviderFuncs{}

func (t *ResourceProviderFuncs) Construct(ctx *pulumi.Context, typ string, name string,
	inputs pulumiprovider.ConstructInputs, options pulumi.ResourceOption) (*pulumiprovider.ConstructResult, error) {
	return t.ConstructF(ctx, typ, name, inputs, options)
}
