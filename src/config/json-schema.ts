// The JSON Schema of slipway.yaml for editors (yaml-language-server, VS Code), generated from the
// same zod schema that validates the file, so the two cannot disagree.

import * as z from 'zod';
import { configSchema } from './schema.js';

export interface JsonSchemaOptions {
  /**
   * Keep `defaultFrom` (a default taken from another key, e.g. `pipeline.timeout`) for the docs
   * generator; the published schema leaves it out because it is not a JSON Schema keyword.
   */
  docs?: boolean;
}

type JsonObject = Record<string, unknown>;

/** The JSON Schema (draft 2020-12) of slipway.yaml as people write it. */
export function configJsonSchema(options: JsonSchemaOptions = {}): JsonObject {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    override: (ctx) => {
      const node = ctx.jsonSchema as JsonObject;
      if (node.gateKinds === true) {
        delete node.gateKinds;
        // The rule gate-rules.ts checks, in a form editors understand.
        node.oneOf = [{ required: ['run'] }, { required: ['scan'] }, { required: ['audit'] }];
      }
      if (!options.docs) delete node.defaultFrom;
      // z.int() bounds itself to safe integers; that is noise in an editor's tooltip.
      if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
      if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
    },
  }) as JsonObject;
  return {
    $schema: schema.$schema,
    title: 'slipway.yaml',
    ...schema,
    description: 'The pipeline and the policies of one app, at the root of its repository. See docs/slipway-yaml.md.',
  };
}
