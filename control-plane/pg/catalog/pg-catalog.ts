import { type Database, InfrabaseError, type QueryResult } from '../../../engine/index.js';
import type { CatalogResponder } from '../session.js';

export class PgCatalog implements CatalogResponder {
  constructor(private readonly db: Database) {}
  handles(_sql: string): boolean {
    return false;
  }
  run(sql: string): QueryResult {
    void this.db;
    throw new InfrabaseError('SQL_ERROR', `catalog query not supported: ${sql}`);
  }
}
