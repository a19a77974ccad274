/**
 * hostnet.json, written beside cdk.tf.json at every synth: per host, how to
 * reach it (no secrets: paths and public keys only) and, per object, its
 * Terraform address, ledger id, tag and read-only drift checks.
 */
export const MANIFEST_FILE = "hostnet.json";

export interface ObjectManifest {
  readonly path: string;
  readonly id: string;
  readonly tag: string;
  readonly kind: string;
  readonly name: string;
  /** Terraform resource address, e.g. terraform_data.a_br-lan_hook_7EC19AEB */
  readonly resource: string;
  /** Drift probe lines (src/render/check.ts); absent when the kind is not checked. */
  readonly checks?: string[];
  /** Why the object has no probe (NetObject.checks() returned notChecked). */
  readonly notChecked?: string;
}

export interface HostManifest {
  readonly name: string;
  readonly path: string;
  readonly address: string;
  readonly port: number;
  /** The transport's literal environment (src/transport/ssh.ts sshEnvironment). */
  readonly environment: Record<string, string>;
  /** Terraform address of the host's preflight hook (the first to run, the last to go). */
  readonly resource: string;
  /** Terraform address of the host's sweep hook (after the preflight, before every object); absent in a manifest written before it. */
  readonly sweep?: string;
  /** Host-wide probe lines (src/render/check.ts checkHost): tools present, firewall lets the stack's traffic through. */
  readonly checks?: string[];
  readonly objects: ObjectManifest[];
}

export interface StackManifest {
  readonly version: 1;
  readonly stack: string;
  readonly resourceType: string;
  readonly hosts: HostManifest[];
}
