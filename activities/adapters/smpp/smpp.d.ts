// Minimal types for the `smpp` package (it ships none): the parts this project uses.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  export interface PDU {
    command: string;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    response(fields?: Record<string, unknown>): PDU;
  }
  export interface Session extends EventEmitter {
    send(pdu: PDU): void;
    close(callback?: () => void): void;
    destroy(): void;
    bind_transceiver(fields: Record<string, unknown>, callback: (pdu: PDU) => void): void;
    submit_sm(fields: Record<string, unknown>, callback: (pdu: PDU) => void): void;
    unbind(callback?: (pdu: PDU) => void): void;
  }
  export interface Server extends EventEmitter {
    listen(port: number, host: string, callback?: () => void): void;
    close(callback?: () => void): void;
    address(): { port: number };
  }
  export function connect(options: { url: string; auto_enquire_link_period?: number }, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener: (session: Session) => void): Server;
}
