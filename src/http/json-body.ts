import express, { type RequestHandler } from 'express';

/**
 * The JSON body parser, mounted on each route that takes a body. Authentication runs before any
 * route, so a body sent without a valid key, or to a path no route takes a body on, is never read
 * into memory, inflated (Content-Encoding: gzip) or parsed: one parser in front of every path made
 * anonymous clients able to have up to MAX_BODY_BYTES of inflated JSON parsed per request.
 * strict: false parses any JSON value, so a valid non-object body (`"x"`, `42`, `null`) reaches
 * requireObjectBody and gets 400 bad_request; only text that is not JSON is 400 invalid_json.
 */
export function jsonBody(maxBytes: number): RequestHandler {
  return express.json({ limit: maxBytes, strict: false });
}
