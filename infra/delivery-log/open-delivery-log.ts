import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import type { Config } from '../config/settings.ts';
import { connectNatsDeliveryLog } from './nats-delivery-log.ts';
import { openSqliteDeliveryLog } from './sqlite-delivery-log.ts';

/** The embedded delivery log's file, beside the other SQLite files in the data directory. */
export const deliveryLogFile = (dataDir: string): string => join(dataDir, 'deliveries.sqlite');

/**
 * The delivery log the notifier of this configuration shares with its peers: the NATS KV
 * bucket on the NATS bus (every notifier of the deployment sees it), else a SQLite file.
 */
export const openDeliveryLog = (config: Config, logger: Logger): Promise<DeliveryLog> =>
  config.bus === 'nats'
    ? connectNatsDeliveryLog({
        servers: config.natsUrl.split(',').map((url) => url.trim()),
        logger,
        name: `cambio-${config.role}-delivery-log`,
      })
    : Promise.resolve(openSqliteDeliveryLog({ file: deliveryLogFile(config.dataDir) }));
