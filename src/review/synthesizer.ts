import * as fs from "fs";
import * as path from "path";
import { AnnotationMetadataEntryType, IStackSynthesizer, ISynthesisSession, TerraformStack } from "cdktf";
import { REVIEW_DIR, reviewFiles } from "./files";
import { ReviewSource, stackReview } from "./model";
import { writeReviewDir } from "./write";

/**
 * Wraps a stack's synthesizer: after it has written cdk.tf.json, writes the
 * review folder beside it (cdktf.out/stacks/<stack>/review/). A stack with
 * error annotations (synth continues past them when the cdktf CLI asks it to)
 * gets no review, and a stale one is removed: that stack cannot be deployed.
 * The stack hands over its review as plain data (`build`, called at synth),
 * as it hands buildManifest to the ManifestSynthesizer.
 */
export class ReviewSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly inner: IStackSynthesizer,
    private readonly stack: TerraformStack,
    private readonly build: () => ReviewSource,
  ) {}

  synthesize(session: ISynthesisSession): void {
    this.inner.synthesize(session);
    const manifest = session.manifest.forStack(this.stack);
    const dir = path.join(session.outdir, manifest.workingDirectory, REVIEW_DIR);
    if (manifest.annotations.some((a) => a.level === AnnotationMetadataEntryType.ERROR)) {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
    writeReviewDir(dir, reviewFiles(stackReview(this.build())));
  }
}
