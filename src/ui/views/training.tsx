/**
 * Training views for trained models (issue 7): trials histogram, live loss curves, the chosen
 * configuration, test accuracy. A placeholder until the training API exists.
 */
import { Empty } from '../components/status.js';

export function Training() {
  return (
    <section class="page">
      <h1>Training</h1>
      <Empty title="No trained models yet">
        Trained models (hyperparameter trials, training and validation loss curves, the chosen configuration and test accuracy) will appear here once
        the server offers model training.
      </Empty>
    </section>
  );
}
