import { render } from 'preact';
import { App } from './App';
import { installLinkHandler } from './router';
import './style.css';

installLinkHandler();
render(<App />, document.getElementById('app')!);
