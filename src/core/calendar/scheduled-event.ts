/** A calendar's scheduled event, in Elastic's shape (times in epoch ms). */
export interface ScheduledEvent {
  description: string;
  start_time: number;
  end_time: number;
  /** Elastic: results in the event are not written (default true). */
  skip_result?: boolean;
  /** Elastic: the model does not learn from data in the event (default true). */
  skip_model_update?: boolean;
  /** Elastic: shift the model's time by this many seconds at the event start (clock changes). */
  force_time_shift?: number;
}
