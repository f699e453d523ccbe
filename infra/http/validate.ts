import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { NextFunction, Request, Response } from 'express';
import type { SchemaObject } from 'openapi3-ts/oas31';
import { HttpProblem } from './problem.ts';

const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: true });
// ajv-formats is CommonJS: under ESM its function may arrive wrapped in `default`.
type AddFormats = (instance: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);
addFormats(ajv);
ajv.addKeyword({ keyword: 'example' });

const compiled = new WeakMap<object, ValidateFunction>();
const compile = (schema: SchemaObject): ValidateFunction => {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
};

/** One entry per problem: which field (a dotted path) and why, in words a client can show. */
export interface FieldError {
  field: string;
  message: string;
}

const fieldOf = (error: ErrorObject): string => {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  return path.join('.') || '(body)';
};

const messageOf = (error: ErrorObject): string => {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'pattern':
      return typeof error.parentSchema?.description === 'string'
        ? `must be ${error.parentSchema.description}`
        : 'has the wrong format';
    default:
      return error.message ?? 'is invalid';
  }
};

export const fieldErrors = (errors: readonly ErrorObject[] | null | undefined): FieldError[] =>
  (errors ?? []).map((error) => ({ field: fieldOf(error), message: messageOf(error) }));

const check = (schema: SchemaObject, value: unknown, where: string): void => {
  const validate = compile(schema);
  if (!validate(value)) {
    const errors = fieldErrors(validate.errors);
    throw new HttpProblem(
      400,
      'validation_failed',
      `The request ${where} is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`,
      { errors },
    );
  }
};

export const validateBody =
  (schema: SchemaObject) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    check(schema, req.body ?? {}, 'body');
    next();
  };

export const validateQuery =
  (schema: SchemaObject) =>
  (req: Request, _res: Response, next: NextFunction): void => {
    check(schema, { ...(req.query as Record<string, unknown>) }, 'query');
    next();
  };
