/**
 * `@cdktf/provider-null`, loaded only by stacks with `resourceType:
 * "null_resource"`. It is an optional peer dependency: its own peer range
 * (cdktf ^0.21) would refuse a CDK Terrain install, and the default
 * `terraform_data` mode needs no provider at all.
 */
import type * as ProviderModule from "@cdktf/provider-null/lib/provider";
import type * as ResourceModule from "@cdktf/provider-null/lib/resource";
import { HostnetError } from "../errors";

function load<T>(module: string): T {
  try {
    // An optional peer dependency: loaded only when a stack asks for null_resource.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(module) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
    throw new HostnetError(
      `resourceType "null_resource" needs the package @cdktf/provider-null, which is not installed; run "npm install @cdktf/provider-null@11" or use the default resourceType "terraform_data".`,
      2,
    );
  }
}

export function nullProviderClass(): typeof ProviderModule.NullProvider {
  return load<typeof ProviderModule>("@cdktf/provider-null/lib/provider").NullProvider;
}

export function nullResourceClass(): typeof ResourceModule.Resource {
  return load<typeof ResourceModule>("@cdktf/provider-null/lib/resource").Resource;
}
