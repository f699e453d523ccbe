import { render } from 'preact';
import { createSession } from './api/session.ts';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  root.textContent = '';
  render(<App session={createSession()} />, root);
}
