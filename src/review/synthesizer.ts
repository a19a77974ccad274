import * as fs from "fs";
import * as path from "path";
import { AnnotationMetadataEntryType, IStackSynthesizer, ISynthesisSession } from "cdktf";
import type { HostnetStack } from "../../constructs/hostnet-stack";
import { REVIEW_DIR, reviewFiles } from "./files";
import { writeReviewDir } from "./write";

/**
 * Wraps a stack's synthesizer: after it has written cdk.tf.json, writes the
 * review folder beside it (cdktf.out/stacks/<stack>/review/). A stack with
 * error annotations (synth continues past them when the cdktf CLI asks it to)
 * gets no review, and a stale one is removed: that stack cannot be deployed.
 */
export class ReviewSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly inner: IStackSynthesizer,
    private readonly stack: HostnetStack,
  ) {}

  synthesize(session: ISynthesisSession): void {
    this.inner.synthesize(session);
    const manifest = session.manifest.forStack(this.stack);
    const dir = path.join(session.outdir, manifest.workingDirectory, REVIEW_DIR);
    if (manifest.annotations.some((a) => a.level === AnnotationMetadataEntryType.ERROR)) {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
    // Loaded here, not at import: model.ts imports the constructs, and every
    // construct imports constructs/hostnet-stack.ts, which imports this file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { stackReview } = require("./model") as typeof import("./model");
    writeReviewDir(dir, reviewFiles(stackReview(this.stack)));
  }
}
