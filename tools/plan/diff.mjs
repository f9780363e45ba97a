// The per-resource impact of stack updates, by the CDK's own diff engine: `@aws-cdk/cloudformation-diff`
// (the package `cdk diff` uses; pinned in package.json), which classifies each property change with
// the CloudFormation resource specification's replacement rules (@aws-cdk/aws-service-spec).
//
// stdin:  {"stacks": [{"name": "...", "old": {template} | null, "new": {template} | null}, ...]}
// stdout: {"engine": "<package>@<version>", "stacks": [{"name": "...", "resources": [
//           {"logical_id", "old_type", "new_type", "impact", "changes": [{"kind", "name", "impact"}]}
//         ]}]}
// `impact` is the engine's ResourceImpact (WILL_CREATE, WILL_UPDATE, WILL_REPLACE, MAY_REPLACE,
// WILL_DESTROY, WILL_ORPHAN); resources without a change are left out. One process diffs any number
// of stacks: loading the resource specification is most of its time.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { fullDiff } = require('@aws-cdk/cloudformation-diff');
const { version } = require('@aws-cdk/cloudformation-diff/package.json');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function diffStack({ name, old: before, new: after }) {
  const diff = fullDiff(before ?? {}, after ?? {});
  const resources = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const changes = [];
    change.forEachDifference((kind, property, difference) => {
      changes.push({ kind, name: property, impact: difference.changeImpact ?? null });
    });
    resources.push({
      logical_id: logicalId,
      old_type: change.oldResourceType ?? null,
      new_type: change.newResourceType ?? null,
      impact: change.changeImpact,
      changes,
    });
  });
  return { name, resources };
}

const request = JSON.parse(await readStdin());
const stacks = request.stacks.map(diffStack);
process.stdout.write(JSON.stringify({ engine: `@aws-cdk/cloudformation-diff@${version}`, stacks }));
