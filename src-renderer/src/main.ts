import { mount } from 'svelte';
// Shared component styles load before the components' own (which may refine them) and base.css
// after both, so the cascade is what it was when each component carried its copy.
import './styles/alerts.css';
import './styles/buttons.css';
import './styles/dialogs.css';
import './styles/layout.css';
import App from './App.svelte';
import './styles/base.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
