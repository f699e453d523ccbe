import type { ReferenceObject, SchemaObject } from 'openapi3-ts/oas31';

/**
 * An example value built from a JSON Schema, for operations whose schema carries no example of
 * its own: a property's `example`, else its default, else its first allowed value, else a value
 * of its type. Every operation of the document so shows a request and an answer.
 */
export const exampleOf = (schema: SchemaObject | ReferenceObject | undefined): unknown => {
  if (schema === undefined || '$ref' in schema) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (schema.type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      if (properties.length === 0) {
        const values = schema.additionalProperties;
        return typeof values === 'object' ? { USD: exampleOf(values) } : {};
      }
      return Object.fromEntries(properties.map(([name, property]) => [name, exampleOf(property)]));
    }
    case 'array':
      return [exampleOf(schema.items)];
    case 'boolean':
      return true;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'string':
      if (schema.format === 'date-time') return '2024-06-01T12:00:00.000Z';
      if (typeof schema.pattern === 'string' && schema.pattern.includes('[0-9]+')) return '10.50';
      if (typeof schema.pattern === 'string' && schema.pattern.includes('\\d')) return '42';
      return 'string';
    default:
      return undefined;
  }
};
