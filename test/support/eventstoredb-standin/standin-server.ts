/**
 * An EventStoreDB stand-in: a gRPC server, built on the service and message definitions that
 * @eventstore/db-client ships, that answers the only calls the Cambio adapter makes:
 * Streams.Append, and Streams.Read for a stream, for `$all` (both directions) and as a
 * catch-up subscription to `$all`. Everything else answers UNIMPLEMENTED, as a server that
 * lacks a feature would (the client then falls back, e.g. from BatchAppend to Append).
 *
 * It runs in the test process, keeps its log in memory, and can be stopped and started again
 * on the same port with its data kept, to test what clients do across a server restart.
 * It is a stand-in, not EventStoreDB: the real server remains the reference.
 */
import * as grpc from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import {
  StandInLog,
  type ProposedEvent,
  type StandInExpected,
  type StoredRecord,
} from './standin-log.ts';

const { StreamsService } = streamsGrpc;
const { AppendResp, ReadReq, ReadResp } = streamsPb;
type ReadReqMessage = InstanceType<typeof ReadReq>;
type ReadRespMessage = InstanceType<typeof ReadResp>;
type AppendReqMessage = InstanceType<typeof streamsPb.AppendReq>;

/** Labels the stand-in wherever a test names the server it ran against. */
export const STAND_IN_LABEL = 'EventStoreDB stand-in (gRPC), not a real server';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const decoder = new TextDecoder();

class CallError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const streamName = (identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined) => {
  if (!identifier) throw new CallError(grpc.status.INVALID_ARGUMENT, 'stream identifier missing');
  return decoder.decode(identifier.getStreamName_asU8());
};

const streamIdentifier = (name: string) => {
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(new TextEncoder().encode(name));
  return identifier;
};

const parseId = (uuid: InstanceType<typeof sharedPb.UUID> | undefined): string => {
  if (uuid?.hasString() && UUID.test(uuid.getString())) return uuid.getString().toLowerCase();
  const structured = uuid?.getStructured();
  if (structured) {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64BE(BigInt.asUintN(64, BigInt(structured.getMostSignificantBits())), 0);
    bytes.writeBigUInt64BE(BigInt.asUintN(64, BigInt(structured.getLeastSignificantBits())), 8);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  throw new CallError(grpc.status.INVALID_ARGUMENT, 'event id is not a UUID');
};

const expectedOf = (options: InstanceType<typeof streamsPb.AppendReq.Options>): StandInExpected => {
  if (options.hasRevision()) return { kind: 'revision', revision: BigInt(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
};

const toReadResp = (record: StoredRecord, uuidAsString: boolean): ReadRespMessage => {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  if (uuidAsString) {
    id.setString(record.id);
  } else {
    const bytes = Buffer.from(record.id.replaceAll('-', ''), 'hex');
    const structured = new sharedPb.UUID.Structured();
    structured.setMostSignificantBits(BigInt.asIntN(64, bytes.readBigUInt64BE(0)).toString());
    structured.setLeastSignificantBits(BigInt.asIntN(64, bytes.readBigUInt64BE(8)).toString());
    id.setStructured(structured);
  }
  recorded.setId(id);
  recorded.setStreamIdentifier(streamIdentifier(record.streamId));
  recorded.setStreamRevision(record.revision.toString());
  // Commit = prepare: every event is its own commit, as with appends over gRPC. Stream reads
  // carry the position too, as servers from 22.6 on do.
  recorded.setCommitPosition(record.position.toString());
  recorded.setPreparePosition(record.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.isJson ? 'application/json' : 'application/octet-stream');
  metadata.set('created', record.created.toString());
  recorded.setData(record.data);
  recorded.setCustomMetadata(record.metadata);
  const event = new ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(record.position.toString());
  const response = new ReadResp();
  response.setEvent(event);
  return response;
};

/** Writes with backpressure: resolves at once, or when the peer has drained the buffer. */
const send = (
  call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
  message: ReadRespMessage,
) =>
  call.write(message)
    ? Promise.resolve()
    : new Promise<void>((resolve) => call.once('drain', resolve));

export class EventStoreDbStandIn {
  /** Starts a stand-in on `port` (0: a free one) of 127.0.0.1. */
  static async start(port = 0): Promise<EventStoreDbStandIn> {
    const standIn = new EventStoreDbStandIn();
    await standIn.listen(port);
    return standIn;
  }

  readonly log = new StandInLog();
  private server: grpc.Server | null = null;
  private boundPort = 0;
  private readonly liveCalls = new Set<() => void>();

  /** The connection string for this stand-in. */
  get url(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  get port(): number {
    return this.boundPort;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** Drops every connection and stops listening, as a crashed server would; data is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const end of [...this.liveCalls]) end();
    server.forceShutdown();
  }

  /** Listens again on the same port, with the same log. */
  async restart(): Promise<void> {
    if (this.server) return;
    await this.listen(this.boundPort);
  }

  private async listen(port: number): Promise<void> {
    const server = new grpc.Server();
    server.addService(StreamsService, {
      append: (
        call: grpc.ServerReadableStream<AppendReqMessage, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => this.append(call, callback),
      read: (call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>) => {
        // A status error ends the call on both sides; destroy() alone leaves the client
        // waiting for a status that never comes.
        this.read(call).catch((error: unknown) => {
          const failure =
            error instanceof CallError
              ? error
              : new CallError(
                  grpc.status.INTERNAL,
                  error instanceof Error ? error.message : String(error),
                );
          call.emit('error', { code: failure.code, details: failure.message });
        });
      },
    });
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `127.0.0.1:${port}`,
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    this.server = server;
  }

  private append(
    call: grpc.ServerReadableStream<AppendReqMessage, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    let options: InstanceType<typeof streamsPb.AppendReq.Options> | undefined;
    const events: ProposedEvent[] = [];
    let failed = false;
    const fail = (error: CallError) => {
      if (failed) return;
      failed = true;
      callback({ code: error.code, details: error.message });
    };
    call.on('data', (request: AppendReqMessage) => {
      try {
        if (!options) {
          if (!request.hasOptions())
            throw new CallError(grpc.status.INVALID_ARGUMENT, 'options first');
          options = request.getOptions();
          return;
        }
        const proposed = request.getProposedMessage();
        if (!proposed)
          throw new CallError(grpc.status.INVALID_ARGUMENT, 'proposed message expected');
        const type = proposed.getMetadataMap().get('type');
        const contentType = proposed.getMetadataMap().get('content-type');
        if (!type)
          throw new CallError(
            grpc.status.INVALID_ARGUMENT,
            'required metadata property missing: type',
          );
        if (!contentType) {
          throw new CallError(
            grpc.status.INVALID_ARGUMENT,
            'required metadata property missing: content-type',
          );
        }
        events.push({
          id: parseId(proposed.getId()),
          type,
          isJson: contentType === 'application/json',
          data: proposed.getData_asU8(),
          metadata: proposed.getCustomMetadata_asU8(),
        });
      } catch (error) {
        fail(
          error instanceof CallError ? error : new CallError(grpc.status.INTERNAL, String(error)),
        );
      }
    });
    call.on('end', () => {
      if (failed) return;
      if (!options) return fail(new CallError(grpc.status.INVALID_ARGUMENT, 'no options'));
      const streamId = streamName(options.getStreamIdentifier());
      const outcome = this.log.append(streamId, expectedOf(options), events);
      const response = new AppendResp();
      if (outcome.kind === 'success') {
        const success = new AppendResp.Success();
        success.setCurrentRevision(outcome.currentRevision.toString());
        const position = new AppendResp.Position();
        position.setCommitPosition(outcome.position.toString());
        position.setPreparePosition(outcome.position.toString());
        success.setPosition(position);
        response.setSuccess(success);
      } else {
        const wrong = new AppendResp.WrongExpectedVersion();
        if (outcome.current < 0n) wrong.setCurrentNoStream(new sharedPb.Empty());
        else wrong.setCurrentRevision(outcome.current.toString());
        if (options.hasRevision()) wrong.setExpectedRevision(options.getRevision());
        else if (options.hasNoStream()) wrong.setExpectedNoStream(new sharedPb.Empty());
        else if (options.hasStreamExists()) wrong.setExpectedStreamExists(new sharedPb.Empty());
        else wrong.setExpectedAny(new sharedPb.Empty());
        response.setWrongExpectedVersion(wrong);
      }
      callback(null, response);
    });
  }

  private async read(
    call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
  ): Promise<void> {
    const options = call.request.getOptions();
    if (!options) throw new CallError(grpc.status.INVALID_ARGUMENT, 'options missing');
    if (options.hasFilter())
      throw new CallError(grpc.status.UNIMPLEMENTED, 'filters are not in the stand-in');
    const uuidAsString = options.getUuidOption()?.hasString() ?? false;
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    if (options.hasStream()) return this.readStream(call, options, uuidAsString, backwards);
    if (!options.hasAll())
      throw new CallError(grpc.status.INVALID_ARGUMENT, 'stream or all expected');
    if (options.hasSubscription()) return this.subscribeToAll(call, options, uuidAsString);
    return this.readAll(call, options, uuidAsString, backwards);
  }

  private async readStream(
    call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
    options: InstanceType<typeof ReadReq.Options>,
    uuidAsString: boolean,
    backwards: boolean,
  ): Promise<void> {
    const streamOptions = options.getStream()!;
    const name = streamName(streamOptions.getStreamIdentifier());
    const records = this.log.stream(name);
    if (!records) {
      const notFound = new ReadResp.StreamNotFound();
      notFound.setStreamIdentifier(streamIdentifier(name));
      const response = new ReadResp();
      response.setStreamNotFound(notFound);
      await send(call, response);
      call.end();
      return;
    }
    let count = BigInt(options.getCount() || '0');
    const last = BigInt(records.length) - 1n;
    let revision = streamOptions.hasRevision()
      ? BigInt(streamOptions.getRevision())
      : streamOptions.hasEnd() || backwards
        ? last
        : 0n;
    if (streamOptions.hasStart()) revision = 0n;
    while (count > 0n && revision >= 0n && revision <= last) {
      await send(call, toReadResp(records[Number(revision)]!, uuidAsString));
      revision += backwards ? -1n : 1n;
      count -= 1n;
    }
    call.end();
  }

  /** Where a read or subscription of `$all` starts: the index of its first record. */
  private startIndex(
    allOptions: InstanceType<typeof ReadReq.Options.AllOptions>,
    inclusive: boolean,
  ): number {
    if (allOptions.hasStart()) return 0;
    if (allOptions.hasEnd()) return this.log.size;
    const position = BigInt(allOptions.getPosition()!.getCommitPosition());
    if (position >= this.log.end) return this.log.size;
    const index = this.log.indexOf(position);
    // The server reads its log from record boundaries only.
    if (index === undefined)
      throw new CallError(grpc.status.INVALID_ARGUMENT, `invalid position ${position}`);
    return inclusive ? index : index + 1;
  }

  private async readAll(
    call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
    options: InstanceType<typeof ReadReq.Options>,
    uuidAsString: boolean,
    backwards: boolean,
  ): Promise<void> {
    const allOptions = options.getAll()!;
    let count = BigInt(options.getCount() || '0');
    // Forwards includes the record at the position; backwards starts before it.
    let index = backwards
      ? allOptions.hasEnd()
        ? this.log.size - 1
        : this.startIndex(allOptions, true) - 1
      : this.startIndex(allOptions, true);
    while (count > 0n && index >= 0 && index < this.log.size) {
      await send(call, toReadResp(this.log.at(index)!, uuidAsString));
      index += backwards ? -1 : 1;
      count -= 1n;
    }
    call.end();
  }

  private async subscribeToAll(
    call: grpc.ServerWritableStream<ReadReqMessage, ReadRespMessage>,
    options: InstanceType<typeof ReadReq.Options>,
    uuidAsString: boolean,
  ): Promise<void> {
    let index = this.startIndex(options.getAll()!, false);
    let ended = false;
    let wake: (() => void) | null = null;
    const end = () => {
      ended = true;
      wake?.();
    };
    this.liveCalls.add(end);
    call.once('cancelled', end);
    call.once('close', end);
    const stopListening = this.log.onWrite(() => wake?.());
    try {
      const confirmation = new ReadResp.SubscriptionConfirmation();
      confirmation.setSubscriptionId(crypto.randomUUID());
      const confirm = new ReadResp();
      confirm.setConfirmation(confirmation);
      await send(call, confirm);
      let caughtUp = false;
      while (!ended) {
        while (!ended && index < this.log.size) {
          await send(call, toReadResp(this.log.at(index)!, uuidAsString));
          index += 1;
        }
        if (ended) break;
        if (!caughtUp) {
          caughtUp = true;
          const live = new ReadResp();
          live.setCaughtUp(new ReadResp.CaughtUp());
          await send(call, live);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (ended || index < this.log.size) resolve();
        });
        wake = null;
      }
    } finally {
      stopListening();
      this.liveCalls.delete(end);
    }
  }
}
