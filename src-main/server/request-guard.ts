/**
 * Who may talk to the bridge. The studio listens on loopback, but any web page the user visits can
 * reach loopback too, so every request must prove it came from the page we served:
 *
 * - a per-launch token (in the `x-studio-token` header for invoke, the query for the WebSocket and
 *   the first page load, then an HttpOnly SameSite=Strict cookie so the page's assets load);
 * - a Host header naming loopback and our port, so a DNS-rebound name cannot reach us;
 * - no cross-origin Origin header, so another site cannot drive the API or the WebSocket.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_HEADER = 'x-studio-token';

/** 24 random bytes: unguessable, and short enough to paste. */
export function newAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

export type Refusal = { status: 401 | 403; reason: string };

export class RequestGuard {
  readonly cookieName: string;
  private readonly tokenBytes: Buffer;
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(token: string, host: string, port: number) {
    this.tokenBytes = Buffer.from(token);
    // Cookies are shared across ports of one host: name ours by port so two studios don't clash.
    this.cookieName = `studio_token_${port}`;
    const hostNames = new Set(['127.0.0.1', 'localhost', '[::1]']);
    hostNames.add(host.includes(':') ? `[${host}]` : host);
    this.allowedHosts = new Set([...hostNames].map((name) => `${name}:${port}`));
    this.allowedOrigins = new Set([...this.allowedHosts].map((h) => `http://${h}`));
  }

  /** Host and Origin checks shared by every route. */
  checkSite(request: IncomingMessage): Refusal | null {
    const host = request.headers.host?.toLowerCase();
    if (!host || !this.allowedHosts.has(host)) {
      return { status: 403, reason: `Host ${JSON.stringify(host ?? '')} is not this studio` };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !this.allowedOrigins.has(origin.toLowerCase())) {
      return { status: 403, reason: `Cross-origin request from ${origin} refused` };
    }
    return null;
  }

  /** 401 when no token came, 403 when a wrong one did. */
  checkToken(candidate: string | null | undefined): Refusal | null {
    if (!candidate) return { status: 401, reason: 'Missing access token' };
    const bytes = Buffer.from(candidate);
    const valid =
      bytes.length === this.tokenBytes.length && timingSafeEqual(bytes, this.tokenBytes);
    return valid ? null : { status: 403, reason: 'Invalid access token' };
  }

  headerToken(request: IncomingMessage): string | null {
    const value = request.headers[TOKEN_HEADER];
    return typeof value === 'string' ? value : null;
  }

  cookieToken(request: IncomingMessage): string | null {
    const header = request.headers.cookie;
    if (!header) return null;
    for (const part of header.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === this.cookieName) return rest.join('=');
    }
    return null;
  }

  /** The cookie that lets the page's own assets load after the tokened first request. */
  cookieHeader(token: string): string {
    return `${this.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
