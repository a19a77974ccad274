import * as fs from "fs";
import * as path from "path";
import { IStackSynthesizer, ISynthesisSession, TerraformStack } from "cdktf";
import { MANIFEST_FILE, StackManifest } from "./manifest";

/** Wraps a stack's synthesizer: after cdk.tf.json, writes hostnet.json (see manifest.ts) beside it. */
export class ManifestSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly inner: IStackSynthesizer,
    private readonly stack: TerraformStack,
    private readonly build: () => StackManifest,
  ) {}

  synthesize(session: ISynthesisSession): void {
    this.inner.synthesize(session);
    const dir = path.join(session.outdir, session.manifest.forStack(this.stack).workingDirectory);
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(this.build(), null, 2) + "\n");
  }
}
