import type { StackReview } from "./model";
import { renderPlanMd } from "./plan-md";
import { renderDown, renderUp } from "./scripts";
import { planJson } from "./summary";

/** Name of the folder beside cdk.tf.json that holds a stack's review. */
export const REVIEW_DIR = "review";

/**
 * Every review file of a stack, by path relative to the review folder:
 * PLAN.md, plan.json, and `<host>/up.sh` and `<host>/down.sh` per host.
 * Pure: the same review gives the same bytes.
 */
export function reviewFiles(r: StackReview): Map<string, string> {
  const files = new Map<string, string>();
  files.set("PLAN.md", renderPlanMd(r));
  files.set("plan.json", JSON.stringify(planJson(r), null, 2) + "\n");
  for (const h of r.hosts) {
    files.set(`${h.dir}/up.sh`, renderUp(h, r.stack));
    files.set(`${h.dir}/down.sh`, renderDown(h, r.stack));
  }
  return files;
}
